namespace AgentFleet.Hosting.Testing;

/// <summary>The pinned Claude Code CLI that <c>npm ci --prefix tools/agents</c> installs in the repository.</summary>
public static class ClaudeCli
{
    public static string Path
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "Aspire.sln")))
            {
                directory = directory.Parent;
            }
            var path = System.IO.Path.Combine(directory?.FullName ?? ".", "tools", "agents", "node_modules", ".bin", "claude");
            return File.Exists(path) ? path : throw new InvalidOperationException($"Claude Code is not installed at {path}: run `npm ci --prefix tools/agents`.");
        }
    }
}
