using AgentFleet.ServiceDefaults.Problems;
namespace AgentFleet.SessionRunner.Agents;

/// <summary>Finds a program the way execvp would, so a missing CLI is a clear error before anything is spawned.</summary>
public static class ExecutableLocator
{
    public static string? Find(string program, string? searchPath)
    {
        if (program.Contains('/'))
        {
            return File.Exists(program) ? Path.GetFullPath(program) : null;
        }
        foreach (var directory in (searchPath ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate) && !OperatingSystem.IsWindows() && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return candidate;
            }
        }
        return null;
    }

    public static string Require(string program, string kind) =>
        Find(program, Environment.GetEnvironmentVariable("PATH"))
        ?? throw new AgentUnavailableException($"The {kind} agent's program '{Bounded.Echo(program)}' is not installed on this runner.");

    /// <summary>The file a chain of symlinks (npm's <c>.bin/claude</c>) ends at.</summary>
    public static string RealPath(string program) =>
        File.ResolveLinkTarget(program, returnFinalTarget: true)?.FullName ?? Path.GetFullPath(program);

    /// <summary>
    /// The directory a CLI is installed in, which its sandbox shows read-only: the npm package holding it (the
    /// nearest folder with a <c>package.json</c>), else the folder above a <c>bin/</c>, else its own folder. Never
    /// <c>/</c> or a home directory, which would show far more than the CLI.
    /// </summary>
    public static string InstallRoot(string realPath)
    {
        var directory = Path.GetDirectoryName(realPath)!;
        var candidate = directory;
        for (var up = directory; up is not null && up.Count(c => c == '/') > 1; up = Path.GetDirectoryName(up))
        {
            if (File.Exists(Path.Combine(up, "package.json")))
            {
                candidate = up;
                break;
            }
        }
        if (candidate == directory && Path.GetFileName(directory) == "bin" && Path.GetDirectoryName(directory) is { } above)
        {
            candidate = above;
        }
        return IsTooBroad(candidate) ? directory : candidate;
    }

    private static bool IsTooBroad(string path) =>
        path is "/" or "/root" or "/home" || Path.GetDirectoryName(path) == "/home"
        || path == Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
}
