using AgentFleet.ServiceDefaults.Grpc;
using AgentFleet.ServiceDefaults.Http;
using AgentFleet.ComfyBridge.Contracts;
using AgentFleet.ManagementApi.Contracts;
using AgentFleet.ManagementApi.Grpc;
using AgentFleet.ManagementApi.Infrastructure;
using AgentFleet.ManagementApi.Mcp;
using AgentFleet.ManagementApi.Model;
using AgentFleet.ManagementApi.Services;
using AgentFleet.ServiceDefaults.Data;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.SessionRunner.Contracts;

namespace AgentFleet.ManagementApi.Extensions;

internal static class Extensions
{
    public const string ResourceName = "management-api";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddFleetDatabase("fleetdb");
        builder.AddMigrations(ResourceName, typeof(Extensions).Assembly);
        builder.AddFleetRedis("redis");
        // /v1/status reports each service's /health answer as it came.
        builder.Services.AddHttpClient("health").WithoutResilience();
        builder.Services.AddOpenApi();
        builder.Services.AddIdentitySigner();
        builder.Services.AddGrpcServer(ManagementApiGrpc.Descriptor.FullName);
        builder.Services.AddServiceGrpcClient<SessionRunnerGrpc.SessionRunnerClient>("session-runner", ResourceName);
        builder.Services.AddServiceGrpcClient<ComfyBridgeGrpc.ComfyBridgeClient>("comfy-bridge", ResourceName);
        builder.Services.AddServiceGrpcClient<ZaiProxyGrpc.ZaiProxyClient>("zai-proxy", ResourceName);
        builder.Services.AddSingleton<RunnerDirectory>();
        builder.Services.AddSingleton<KeyBudgets>();
        builder.Services.AddSingleton(services =>
            // Optional: without ComfyBridge's address, /v1/status says so instead of failing.
            new ComfyStatusReader(services.GetRequiredService<IConfiguration>()["services:comfy-bridge:grpc:0"] is null ? null
                : services.GetRequiredService<ComfyBridgeGrpc.ComfyBridgeClient>()));
        builder.Services.Configure<SessionLimits>(builder.Configuration.GetSection(SessionLimits.Section));
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddSingleton<TemplateStore>();
        builder.Services.AddSingleton<SessionEventFeed>();
        builder.Services.AddSingleton<SessionQueries>();
        builder.Services.AddSingleton<SessionStreamer>();
        builder.Services.AddSingleton<SessionEventStreams>();
        builder.AddFleetMcp();
    }
}
