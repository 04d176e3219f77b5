namespace AgentFleet.SessionRunner.Sandbox;

/// <summary>
/// The command line that confines one agent: bubblewrap (as root) builds a mount namespace holding only the
/// system, the agent's CLI, a private <c>/tmp</c> and the session directory, with its own PID, IPC and UTS
/// namespaces; inside it setpriv drops to the session's uid with no capabilities left, and prlimit sets the
/// session's limits before the agent itself is exec'd.
/// </summary>
public static class BubblewrapArguments
{
    public const string Setpriv = "/usr/bin/setpriv";
    public const string Prlimit = "/usr/bin/prlimit";

    /// <param name="seccompDescriptor">An inherited descriptor holding <see cref="UserNamespaceFilter"/>'s program, if any.</param>
    public static List<string> Build(SandboxOptions options, SandboxLimits limits, string sessionDirectory, IReadOnlyList<string> readOnlyPaths, int uid,
        string program, IReadOnlyList<string> arguments, int? seccompDescriptor)
    {
        List<string> args =
        [
            // Not --die-with-parent: its signal follows the thread that spawned bubblewrap, a pool thread the runtime
            // retires when idle, which would kill a long agent at random. A runner that dies leaves agents that its
            // next start kills by uid.
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "fleet-session",
        ];
        foreach (var path in options.SystemPaths)
        {
            if (new FileInfo(path).LinkTarget is { } target)
            {
                args.AddRange(["--symlink", target, path]);
            }
            else if (Path.Exists(path))
            {
                args.AddRange(["--ro-bind", path, path]);
            }
        }
        foreach (var path in options.HiddenPaths)
        {
            if (Directory.Exists(path))
            {
                args.AddRange(["--tmpfs", path]);
            }
            else if (File.Exists(path))
            {
                args.AddRange(["--ro-bind", "/dev/null", path]);
            }
        }
        args.AddRange(["--proc", "/proc", "--dev", "/dev"]);
        args.AddRange(["--perms", "1777", "--size", (limits.TmpSizeMb * 1024 * 1024).ToString(), "--tmpfs", "/tmp"]);

        // The mount points' parents are made traversable but not listable, so the agent learns no other names.
        var made = new HashSet<string>(StringComparer.Ordinal) { "/", "/tmp" };
        void Parents(string path)
        {
            var parent = Path.GetDirectoryName(path);
            if (parent is null || made.Contains(parent) || options.SystemPaths.Any(p => IsUnder(parent, p)))
            {
                return;
            }
            Parents(parent);
            made.Add(parent);
            args.AddRange(["--perms", "0711", "--dir", parent]);
        }
        foreach (var path in readOnlyPaths)
        {
            if (options.SystemPaths.Any(p => IsUnder(path, p)))
            {
                continue;
            }
            Parents(path);
            args.AddRange(["--ro-bind", path, path]);
        }
        Parents(sessionDirectory);
        args.AddRange(["--bind", sessionDirectory, sessionDirectory, "--chdir", sessionDirectory]);

        if (seccompDescriptor is { } descriptor)
        {
            args.AddRange(["--seccomp", descriptor.ToString()]);
        }
        // bubblewrap run by root keeps its capabilities inside (these two are all setpriv needs); setpriv clears every
        // one, bounding set included, before the agent runs, and bubblewrap has set no-new-privileges.
        args.AddRange(["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--"]);
        var id = uid.ToString();
        args.AddRange([Setpriv, "--reuid", id, "--regid", id, "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"]);
        args.AddRange(LimitArguments(limits));
        args.Add(program);
        args.AddRange(arguments);
        return args;
    }

    /// <summary><c>prlimit --nproc=... -- </c>: the session's limits, also used without a sandbox.</summary>
    public static List<string> LimitArguments(SandboxLimits limits)
    {
        List<string> args = [Prlimit, $"--nproc={limits.MaxProcesses}", $"--nofile={limits.MaxOpenFiles}", $"--fsize={limits.MaxFileSizeMb * 1024 * 1024}"];
        if (limits.MaxMemoryMb > 0)
        {
            args.Add($"--as={limits.MaxMemoryMb * 1024 * 1024}");
        }
        args.Add("--");
        return args;
    }

    public static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);
}
