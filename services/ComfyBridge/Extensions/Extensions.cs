using AgentFleet.ServiceDefaults.Data;

namespace AgentFleet.ComfyBridge.Extensions;

internal static class Extensions
{
    public const string ResourceName = "comfy-bridge";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("fleetdb");
        builder.AddMigrations(ResourceName, typeof(Extensions).Assembly);
    }
}
