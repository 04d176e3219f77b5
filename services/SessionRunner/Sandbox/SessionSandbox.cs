using System.Diagnostics;
using AgentFleet.SessionRunner.Agents;
using AgentFleet.SessionRunner.Infrastructure;
using AgentFleet.SessionRunner.Services;
using Microsoft.Extensions.Options;

namespace AgentFleet.SessionRunner.Sandbox;

/// <summary>
/// Confines agents as <see cref="SandboxOptions"/> says. Whether bubblewrap works here is found out once, by
/// running a trial sandbox at start; when it does not, agents are refused with the reason rather than run
/// unconfined, unless an admin chose <c>Mode=none</c>.
/// </summary>
public sealed partial class SessionSandbox
{
    private readonly SandboxOptions _options;
    private readonly string? _unavailable;
    private readonly string? _bubblewrap;
    private readonly int _rangeStart;

    public SessionSandbox(IOptions<SandboxOptions> options, IOptions<SessionRunnerOptions> runner, ILogger<SessionSandbox> logger)
    {
        _options = options.Value;
        _rangeStart = _options.RangeStartFor(runner.Value.ResolveRoot());
        if (IsBubblewrap)
        {
            _bubblewrap = ExecutableLocator.Find(_options.BubblewrapPath, Environment.GetEnvironmentVariable("PATH"));
            _unavailable = Probe();
            if (_unavailable is not null)
            {
                LogUnavailable(logger, _unavailable);
            }
        }
        else
        {
            LogUnconfined(logger);
        }
    }

    public bool IsBubblewrap => !string.Equals(_options.Mode, SandboxOptions.None, StringComparison.OrdinalIgnoreCase);

    public string Mode => IsBubblewrap ? SandboxOptions.Bubblewrap : SandboxOptions.None;

    public bool Available => _unavailable is null;

    /// <summary>Why agents are refused, or what the mode means.</summary>
    public string Detail => _unavailable ?? (IsBubblewrap
        ? "Each session runs as its own uid inside bubblewrap (mount, PID, IPC and UTS namespaces), without capabilities or new user namespaces."
        : "Agents run unconfined as the runner's own user (SessionRunner:Sandbox:Mode=none).");

    public SandboxLimits Limits => _options.Limits;

    public void EnsureAvailable()
    {
        if (_unavailable is not null)
        {
            throw new SandboxUnavailableException(_unavailable);
        }
    }

    /// <summary>The host's PATH without the directories a sandboxed agent cannot see; the system's when none remain.</summary>
    public string VisiblePath(string? hostPath)
    {
        var directories = (hostPath ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Where(d => Shows(d, [])).ToList();
        return directories.Count > 0 ? string.Join(':', directories) : "/usr/local/bin:/usr/bin:/bin";
    }

    /// <summary>Whether a sandboxed agent sees <paramref name="path"/>: the system paths, or one it is given read-only.</summary>
    public bool Shows(string path, IReadOnlyList<string> readOnlyPaths) =>
        !IsBubblewrap || _options.SystemPaths.Concat(readOnlyPaths).Any(root => BubblewrapArguments.IsUnder(path, root));

    /// <summary>
    /// The lowest uid of the range that no other active session holds; null when confinement is off. A finished
    /// session's uid may be handed on: its files are out of every other sandbox's sight, and only processes
    /// (signals, the process limit) need a uid alone.
    /// </summary>
    public int? AllocateUid(IEnumerable<int?> heldByActiveSessions)
    {
        if (!IsBubblewrap)
        {
            return null;
        }
        var used = heldByActiveSessions.OfType<int>().ToHashSet();
        for (var uid = _rangeStart; uid < _rangeStart + _options.UidRangeSize; uid++)
        {
            if (!used.Contains(uid))
            {
                return uid;
            }
        }
        throw new SandboxUnavailableException(
            $"All {_options.UidRangeSize} sandbox uids from {_rangeStart} are held by active sessions; raise SessionRunner:Sandbox:UidRangeSize.");
    }

    /// <summary>Whether <paramref name="uid"/> is one this runner hands out (never root, never outside the range).</summary>
    public bool InRange(int uid) => uid >= _rangeStart && uid < _rangeStart + _options.UidRangeSize;

    /// <summary>The session directory, made only its uid's: 0700 and owned by it.</summary>
    public void PrepareDirectory(string directory, int? uid)
    {
        Directory.CreateDirectory(directory);
        if (uid is { } owner)
        {
            PosixFiles.ChangeOwner(directory, owner, owner);
            PosixFiles.SetMode(directory, PosixFiles.OwnerOnly);
        }
    }

    /// <summary>Hands a directory made for an unconfined agent, and all in it, to <paramref name="uid"/>.</summary>
    public void AdoptDirectory(string directory, int uid)
    {
        PrepareDirectory(directory, uid);
        // Never into a symlink: the agent planted its links, and one to / would hand the host over.
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            PosixFiles.ChangeOwner(entry.FullName, uid, uid);
        }
    }

    /// <summary>
    /// Starts <paramref name="launch"/> confined, with the session's limits: <paramref name="start"/> gets the program
    /// and arguments to spawn. The seccomp filter travels in a descriptor only that spawn inherits.
    /// </summary>
    public T Start<T>(AgentLaunch launch, string sessionDirectory, int? uid, SandboxLimits limits, Func<string, IReadOnlyList<string>, T> start)
    {
        if (uid is not { } owner)
        {
            var prlimit = BubblewrapArguments.LimitArguments(limits);
            return start(prlimit[0], [.. prlimit.Skip(1), launch.FileName, .. launch.Arguments]);
        }
        EnsureAvailable();
        return StartBubblewrap(descriptor => start(_bubblewrap!,
            BubblewrapArguments.Build(_options, limits, sessionDirectory, launch.ReadOnlyPaths, owner, launch.FileName, launch.Arguments, descriptor)));
    }

    private static T StartBubblewrap<T>(Func<int?, T> start)
    {
        if (!UserNamespaceFilter.Applies)
        {
            return start(null);
        }
        lock (InheritedMemoryFile.SpawnGate)
        {
            using var filter = new InheritedMemoryFile("fleet-seccomp", UserNamespaceFilter.Program());
            return start(filter.Descriptor);
        }
    }

    /// <summary>Runs <c>id</c> in a sandbox like an agent's, so a host that cannot give one is known before any session.</summary>
    private string? Probe()
    {
        const string fix = "Install Debian's bubblewrap (apt-get install bubblewrap) and run SessionRunner as root, or set SessionRunner:Sandbox:Mode=none to run agents unconfined.";
        if (!OperatingSystem.IsLinux())
        {
            return $"The sandbox needs Linux. {fix}";
        }
        if (_rangeStart < 1000 || _options.UidRangeSize < 1 || (long)_rangeStart + _options.UidRangeSize > int.MaxValue)
        {
            return $"The sandbox uid range ({_rangeStart}, {_options.UidRangeSize} uids) must lie within 1000 to 2147483647: set SessionRunner:Sandbox:UidRangeStart and UidRangeSize.";
        }
        if (_bubblewrap is null)
        {
            return $"bubblewrap ('{_options.BubblewrapPath}') is not installed, so agents cannot be confined. {fix}";
        }
        if (!PosixFiles.IsRoot)
        {
            return $"SessionRunner is not running as root, so it cannot give each session a uid of its own. {fix}";
        }
        foreach (var tool in new[] { BubblewrapArguments.Setpriv, BubblewrapArguments.Prlimit, "/bin/kill" })
        {
            if (!File.Exists(tool))
            {
                return $"{tool} (util-linux / procps) is missing. {fix}";
            }
        }
        var trial = Path.Combine(Path.GetTempPath(), $"fleet-sandbox-probe-{Guid.NewGuid():N}");
        try
        {
            var uid = _rangeStart + _options.UidRangeSize - 1;
            PrepareDirectory(trial, uid);
            // In a session of its own, as agents are: what bubblewrap leaves for init to reap is then not in the runner's group.
            // The trial also checks that the seccomp filter holds: a new user namespace must be refused.
            var start = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(_bubblewrap);
            using var process = StartBubblewrap(descriptor =>
            {
                foreach (var argument in BubblewrapArguments.Build(_options, _options.Limits, trial, [], uid, "/bin/sh",
                    ["-c", "id -u; unshare -U true 2>/dev/null && echo userns-allowed; true"], descriptor))
                {
                    start.ArgumentList.Add(argument);
                }
                return Process.Start(start)!;
            });
            var output = process.StandardOutput.ReadToEnd().Trim();
            var error = process.StandardError.ReadToEnd().Trim();
            process.WaitForExit();
            if (output.Contains("userns-allowed") && UserNamespaceFilter.Applies)
            {
                return $"The seccomp filter did not stop a user namespace inside the trial sandbox. {fix}";
            }
            return process.ExitCode == 0 && output == uid.ToString()
                ? null
                : $"A trial sandbox failed (exit {process.ExitCode}: {error}). Mounts or namespaces may be forbidden here. {fix}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            return $"A trial sandbox could not be started ({e.Message}). {fix}";
        }
        finally
        {
            try
            {
                Directory.Delete(trial, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [LoggerMessage(LogLevel.Error, "Agents are refused: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Warning, "SessionRunner:Sandbox:Mode is none: agents run unconfined, as the runner's own user")]
    private static partial void LogUnconfined(ILogger logger);
}
