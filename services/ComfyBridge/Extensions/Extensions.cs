using AgentFleet.ServiceDefaults.Http;
using AgentFleet.ServiceDefaults.Grpc;
using AgentFleet.ComfyBridge.ComfyUi;
using AgentFleet.ComfyBridge.Contracts;
using AgentFleet.ComfyBridge.Grpc;
using AgentFleet.ComfyBridge.Infrastructure;
using AgentFleet.ComfyBridge.Jobs;
using AgentFleet.ComfyBridge.Options;
using AgentFleet.ComfyBridge.Outputs;
using AgentFleet.ComfyBridge.Services;
using AgentFleet.ComfyBridge.Telemetry;
using AgentFleet.ComfyBridge.Webhooks;
using AgentFleet.ServiceDefaults.Data;
using AgentFleet.ServiceDefaults.Health;
using AgentFleet.ServiceDefaults.Security;

namespace AgentFleet.ComfyBridge.Extensions;

internal static class Extensions
{
    public const string ResourceName = "comfy-bridge";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddGrpcServer(ComfyBridgeGrpc.Descriptor.FullName);
        builder.AddFleetDatabase("fleetdb");
        // Registered before the services that read the tables, so they start once the migrations are applied.
        builder.AddMigrations(ResourceName, typeof(Extensions).Assembly);
        builder.Services.AddIdentitySigner();
        builder.Services.AddOpenApi();
        builder.Services.AddOptions<ComfyOptions>().Bind(builder.Configuration.GetSection(ComfyOptions.Section))
            .Validate(o => !string.IsNullOrWhiteSpace(o.BridgeId), "ComfyUI:BridgeId must not be empty.")
            .Validate(o => o.BridgeHeartbeat > TimeSpan.Zero && o.Lease > o.BridgeHeartbeat, "ComfyUI:BridgeLease must be longer than ComfyUI:BridgeHeartbeat.")
            .ValidateOnStart();
        // Optional: with it, replicas pass each other live events and cancels (BridgeBus); without it, one replica needs none.
        if (builder.Configuration.GetConnectionString("redis") is { Length: > 0 })
        {
            // Jobs, streams and cancels go on without Redis (other replicas' jobs are followed through PostgreSQL).
            builder.AddFleetRedis("redis", new RedisOutage("live events pass between replicas",
                "streams of jobs other replicas follow poll PostgreSQL"));
        }
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ComfyServerPool>();
        builder.Services.AddSingleton<ComfyMetrics>();
        builder.Services.AddSingleton<JobStore>();
        builder.Services.AddSingleton<JobEventHub>();
        builder.Services.AddSingleton<BridgeRegistry>();
        builder.Services.AddSingleton<BridgeBus>();
        builder.Services.AddSingleton<JobStreamer>();
        builder.Services.AddSingleton<JobTracker>();
        builder.Services.AddSingleton<OutputStore>();
        builder.Services.AddSingleton<WebhookSender>();
        // Each serves many destinations, and one failing must not pause the rest: WebhookSender retries on its own
        // schedule, and ComfyServerMonitor takes a server that stops answering out of the pool.
        builder.Services.AddHttpClient(WebhookSender.ClientName).ConfigurePrimaryHttpMessageHandler(services =>
            WebhookTargets.Handler(services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ComfyOptions>>().Value.AllowPrivateWebhooks)).WithoutResilience();
        builder.Services.AddHttpClient("comfyui").WithoutResilience();
        builder.Services.AddSingleton<BridgeStatusReader>();
        builder.Services.AddSingleton<IHealthDetails, BridgeHealth>();
        // In this order: subscribed to the other replicas, then the jobs to follow claimed, then ComfyUI's messages read.
        builder.Services.AddHostedService(services => services.GetRequiredService<BridgeBus>());
        builder.Services.AddHostedService<BridgeMembership>();
        builder.Services.AddHostedService<ComfyServerMonitor>();
        builder.Services.AddHostedService<OutputCleanup>();
    }
}
