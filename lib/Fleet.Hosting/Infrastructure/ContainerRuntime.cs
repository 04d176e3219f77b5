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

    /// <summary><c>docker run</c> in the foreground, so the orchestrator supervises it like any process; --rm cleans up.</summary>
    public static IReadOnlyList<string> RunArguments(string containerName, string image, int hostPort, int containerPort, string dataDirectory, string containerDataPath, IDictionary<string, string> environment, IEnumerable<string> command)
    {
        var arguments = new List<string> { "run", "--rm", "--name", containerName, "-p", $"127.0.0.1:{hostPort}:{containerPort}", "-v", $"{dataDirectory}:{containerDataPath}" };
        foreach (var (key, value) in environment)
        {
            arguments.Add("-e");
            arguments.Add($"{key}={value}");
        }
        arguments.Add(image);
        arguments.AddRange(command);
        return arguments;
    }
}
