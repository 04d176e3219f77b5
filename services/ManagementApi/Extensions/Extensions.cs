using AgentFleet.ManagementApi.Infrastructure;
using AgentFleet.ServiceDefaults.Data;

namespace AgentFleet.ManagementApi.Extensions;

internal static class Extensions
{
    public const string ResourceName = "management-api";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("fleetdb");
        builder.AddMigrations(ResourceName, typeof(Extensions).Assembly);
        builder.AddRedisClient("redis");
        builder.Services.AddSingleton<SessionEventFeed>();
    }
}
