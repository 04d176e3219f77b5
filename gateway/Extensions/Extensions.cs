using AgentFleet.ServiceDefaults.Data;

namespace AgentFleet.Gateway.Extensions;

internal static class Extensions
{
    public const string ResourceName = "gateway";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddRedisClient("redis");
    }
}
