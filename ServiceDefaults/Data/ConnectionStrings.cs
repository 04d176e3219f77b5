using Microsoft.Extensions.Configuration;

namespace AgentFleet.ServiceDefaults.Data;

public static class ConnectionStrings
{
    /// <summary>Stops the start with what to set when <c>ConnectionStrings__{name}</c> (what an Aspire AppHost injects) is missing.</summary>
    public static void RequireConnectionString(this IConfiguration configuration, string name)
    {
        if (configuration.GetConnectionString(name) is null)
        {
            throw new InvalidOperationException($"ConnectionStrings:{name} is not set. Run through the AppHost, or set ConnectionStrings__{name}.");
        }
    }
}
