using AgentFleet.AppHost.Agents;

namespace AgentFleet.Testing;

/// <summary>The pinned Claude Code CLI in <c>tools/agents</c>, installed with <c>npm ci</c> the first time a test needs it.</summary>
public static class ClaudeCli
{
    private static readonly Lazy<string> Installed = new(() =>
    {
        var agents = System.IO.Path.Combine(Repository.Root(), "tools", "agents");
        NpmPackages.EnsureInstalled(agents);
        var path = System.IO.Path.Combine(agents, "node_modules", ".bin", "claude");
        return File.Exists(path) ? path : throw new InvalidOperationException($"Claude Code is not installed at {path} after `npm ci --prefix tools/agents`.");
    });

    public static string Path => Installed.Value;
}
