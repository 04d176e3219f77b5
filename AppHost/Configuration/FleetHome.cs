using Microsoft.Extensions.Configuration;

namespace AgentFleet.AppHost.Configuration;

/// <summary>
/// Where the fleet keeps what must outlive a run: server data, generated secrets, session directories and the
/// resource snapshot. <c>.fleet/</c> beside the AppHost's folder unless <c>FLEET_HOME</c> names another.
/// </summary>
public static class FleetHome
{
    public static string Resolve(IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(builder.Configuration["FLEET_HOME"] is { Length: > 0 } configured
            ? configured
            : Path.Combine(RepositoryRoot(builder), ".fleet"));

    /// <summary>The repository: the AppHost's project folder's parent.</summary>
    public static string RepositoryRoot(IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
}
