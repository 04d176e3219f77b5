namespace AgentFleet.AppHost.Infrastructure;

/// <summary>Whether a container engine answers here (docker or podman). <c>FLEET_CONTAINERS=never</c> skips the question.</summary>
public static class ContainerRuntime
{
    public static bool IsAvailable(IConfiguration configuration)
    {
        if (configuration["FLEET_CONTAINERS"] is "never" or "false")
        {
            return false;
        }
        // A client alone answers `docker --version`; `info` needs the engine.
        foreach (var client in new[] { "docker", "podman" })
        {
            if (Executables.Find(client) is not null
                && Executables.RunAsync(client, ["info", "--format", "{{.ServerVersion}}"], TimeSpan.FromSeconds(5)).GetAwaiter().GetResult().ExitCode == 0)
            {
                return true;
            }
        }
        return false;
    }
}
