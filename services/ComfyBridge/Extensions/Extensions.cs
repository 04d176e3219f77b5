using AgentFleet.Grpc.Server;
using AgentFleet.ComfyBridge.Contracts;
using AgentFleet.ComfyBridge.Grpc;
using AgentFleet.ServiceDefaults.Data;

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
    }
}
