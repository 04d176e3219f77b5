using AgentFleet.ComfyBridge.Contracts;
using AgentFleet.Grpc.Client;
using AgentFleet.Grpc.Server;
using AgentFleet.ManagementApi.Contracts;
using AgentFleet.ManagementApi.Grpc;
using AgentFleet.ManagementApi.Infrastructure;
using AgentFleet.ManagementApi.Model;
using AgentFleet.ManagementApi.Services;
using AgentFleet.ServiceDefaults.Data;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.SessionRunner.Contracts;
using AgentFleet.SessionRunner.Infrastructure;

namespace AgentFleet.ManagementApi.Extensions;

internal static class Extensions
{
    public const string ResourceName = "management-api";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("fleetdb");
        builder.AddMigrations(ResourceName, typeof(Extensions).Assembly);
        builder.AddRedisClient("redis");
        builder.Services.AddHttpClient();
        builder.Services.AddOpenApi();
        builder.Services.AddIdentitySigner();
        builder.Services.AddGrpcServer();
        builder.Services.AddScoped<ManagementApiGrpc.ManagementApiBase, ManagementApiService>();
        builder.Services.AddSingleton(services =>
            new SessionRunnerGrpc.SessionRunnerClient(GrpcChannel.ForService(services.GetRequiredService<IConfiguration>(), "session-runner",
                new GrpcChannelOptions { WrapHandler = inner => new SignedIdentityHandler(services.GetRequiredService<IdentitySigner>(), CallerIdentity.Service(ResourceName), inner) })));
        builder.Services.AddSingleton(services =>
        {
            var configuration = services.GetRequiredService<IConfiguration>();
            // Optional: without ComfyBridge's address, /v1/status says so instead of failing.
            return new ComfyStatusReader(configuration["services:comfy-bridge:grpc:0"] is null ? null
                : new ComfyBridgeGrpc.ComfyBridgeClient(GrpcChannel.ForService(configuration, "comfy-bridge",
                    new GrpcChannelOptions { WrapHandler = inner => new SignedIdentityHandler(services.GetRequiredService<IdentitySigner>(), CallerIdentity.Service(ResourceName), inner) })));
        });
        builder.Services.Configure<SessionLimits>(builder.Configuration.GetSection(SessionLimits.Section));
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddSingleton<SessionEventFeed>();
        builder.Services.AddSingleton<SessionEventStore>();
        builder.Services.AddSingleton<SessionRepository>();
        builder.Services.AddSingleton<SessionStreamer>();
        builder.Services.AddSingleton<SessionEventStreams>();
    }
}
