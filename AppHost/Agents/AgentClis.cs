namespace AgentFleet.AppHost.Agents;

/// <summary>
/// The agent CLIs pinned in <c>tools/agents</c> (Claude Code), installed by the run command itself: a one-shot resource
/// that runs <c>npm ci</c> when <c>node_modules</c> is missing or older than the lock file, and that SessionRunner
/// waits for. Without npm it still finishes, saying so: the fleet runs, and claude sessions answer 409 naming the
/// missing CLI, while command sessions work.
/// </summary>
public sealed class AgentClisResource(string name, string directory) : Resource(name)
{
    public string Directory { get; } = directory;

    /// <summary>Where the installed Claude Code CLI lives.</summary>
    public string ClaudePath => Path.Combine(Directory, "node_modules", ".bin", "claude");
}

public static class AgentClisExtensions
{
    public static IResourceBuilder<AgentClisResource> AddAgentClis(this IDistributedApplicationBuilder builder, string name, string directory) =>
        builder.AddResource(new AgentClisResource(name, directory))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "AgentClis",
                State = KnownResourceStates.NotStarted,
                Properties = [new(CustomResourceKnownProperties.Source, directory)],
            })
            .ExcludeFromManifest()
            .OnInitializeResource(async (resource, e, ct) =>
            {
                await e.Notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow });
                try
                {
                    // npm blocks its thread for as long as it runs; keep it off the orchestrator's.
                    await Task.Run(() => NpmPackages.EnsureInstalled(resource.Directory,
                        onInstall: () => e.Logger.LogInformation("Installing the agent CLIs: npm ci --prefix {Directory}", resource.Directory)), ct);
                    e.Logger.LogInformation("The agent CLIs are installed: {Claude}", resource.ClaudePath);
                }
                catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    e.Logger.LogWarning("The agent CLIs could not be installed, so claude sessions are unavailable: {Reason}", ex.Message);
                }
                await e.Notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.Finished, ExitCode = 0, StopTimeStamp = DateTime.UtcNow });
            });
}
