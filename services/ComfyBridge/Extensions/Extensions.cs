using AgentFleet.Grpc.Server;
using AgentFleet.ComfyBridge.Contracts;
using AgentFleet.ComfyBridge.Grpc;
using AgentFleet.ServiceDefaults.Data;
using AgentFleet.ServiceDefaults.Security;

namespace AgentFleet.ComfyBridge.Extensions;

internal static class Extensions
{
    public const string ResourceName = "comfy-bridge";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddGrpcServer();
        builder.Services.AddScoped<ComfyBridgeGrpc.ComfyBridgeBase, ComfyBridgeService>();
        builder.AddNpgsqlDataSource("fleetdb");
        builder.AddMigrations(ResourceName, typeof(Extensions).Assembly);
        builder.Services.AddIdentitySigner();
        builder.Services.AddOpenApi();
    }
}
