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

    /// <summary>The directory a CLI is installed in: its own folder, or the package above a <c>bin/</c> folder.</summary>
    public static string InstallRoot(string realPath)
    {
        var directory = Path.GetDirectoryName(realPath)!;
        return Path.GetFileName(directory) == "bin" && Path.GetDirectoryName(directory) is { Length: > 1 } package ? package : directory;
    }
}
