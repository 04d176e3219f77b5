namespace AgentFleet.Hosting.Infrastructure;

/// <summary>Whether a Docker engine answers here. <c>FLEET_CONTAINERS=never</c> skips the question.</summary>
public static class ContainerRuntime
{
    public static async Task<bool> IsAvailableAsync()
    {
        if (Environment.GetEnvironmentVariable("FLEET_CONTAINERS") is "never" or "false" || Executables.Find("docker") is null)
        {
            return false;
        }
        // The client alone answers `docker --version`; `docker info` needs the engine.
        var (exitCode, _) = await Executables.RunAsync("docker", ["info", "--format", "{{.ServerVersion}}"], TimeSpan.FromSeconds(5));
        return exitCode == 0;
    }

    /// <summary>
    /// One name per resource and .fleet directory, so a container left by a killed run is found and removed
    /// before the next one starts on the same data (two servers on one data directory corrupt it).
    /// </summary>
    public static string ContainerName(string resource, string fleetHome) =>
        $"fleet-{resource}-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(fleetHome)))[..12]}";

    public static async Task RemoveAsync(string containerName) =>
        await Executables.RunAsync("docker", ["rm", "-f", containerName], TimeSpan.FromSeconds(30));

    /// <summary>
    /// <c>docker run</c> in the foreground, so the orchestrator supervises it like any process; --rm cleans up.
    /// Variables are named here and valued in the docker client's environment, so secrets stay off the command line.
    /// </summary>
    public static IReadOnlyList<string> RunArguments(string containerName, string image, int hostPort, int containerPort, string dataDirectory, string containerDataPath, IEnumerable<string> environmentNames, IEnumerable<string> command)
    {
        var arguments = new List<string> { "run", "--rm", "--name", containerName, "-p", $"127.0.0.1:{hostPort}:{containerPort}", "-v", $"{dataDirectory}:{containerDataPath}" };
        foreach (var name in environmentNames)
        {
            arguments.Add("-e");
            arguments.Add(name);
        }
        arguments.Add(image);
        arguments.AddRange(command);
        return arguments;
    }
}
