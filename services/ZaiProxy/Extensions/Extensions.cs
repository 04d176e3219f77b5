using AgentFleet.ServiceDefaults.Data;

namespace AgentFleet.ZaiProxy.Extensions;

internal static class Extensions
{
    public const string ResourceName = "zai-proxy";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("fleetdb");
        builder.AddMigrations(ResourceName, typeof(Extensions).Assembly);
    }
}
