using AgentFleet.Grpc.Server;
using AgentFleet.ZaiProxy.Contracts;
using AgentFleet.ZaiProxy.Grpc;
using AgentFleet.ServiceDefaults.Data;

namespace AgentFleet.ZaiProxy.Extensions;

internal static class Extensions
{
    public const string ResourceName = "zai-proxy";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddGrpcServer();
        builder.Services.AddScoped<ZaiProxyGrpc.ZaiProxyBase, ZaiProxyService>();
        builder.AddNpgsqlDataSource("fleetdb");
        builder.AddMigrations(ResourceName, typeof(Extensions).Assembly);
    }
}
