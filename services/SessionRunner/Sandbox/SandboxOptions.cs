namespace AgentFleet.SessionRunner.Sandbox;

/// <summary>The <c>SessionRunner:Sandbox</c> section: how agents are confined.</summary>
public sealed class SandboxOptions
{
    public const string Bubblewrap = "bubblewrap";
    public const string None = "none";

    /// <summary>
    /// <c>bubblewrap</c> (the default): each agent runs under its own uid inside bubblewrap's mount, PID and IPC
    /// namespaces. <c>none</c>: agents run as the runner does, for an admin who accepts that on a trusted host.
    /// </summary>
    public string Mode { get; set; } = Bubblewrap;

    public string BubblewrapPath { get; set; } = "bwrap";

    /// <summary>
    /// The first uid handed to a session; each active session holds one of its own from this range. Unset, it is
    /// derived from the runner's root, so two runners on one host (replicas, tests) draw from different ranges.
    /// </summary>
    public int? UidRangeStart { get; set; }

    /// <summary>How many uids: the most sessions that can be queued, running or paused at once.</summary>
    public int UidRangeSize { get; set; } = 1000;

    /// <summary>The range's start: configured, or 1,000,000 plus a block of <see cref="UidRangeSize"/> picked by the root's hash.</summary>
    public int RangeStartFor(string root)
    {
        if (UidRangeStart is { } start)
        {
            return start;
        }
        // Blocks of the range's size from 1,000,000 up to about 2^31, clear of system and login uids.
        var hash = BitConverter.ToUInt32(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(root)));
        var blocks = (int.MaxValue - 1_000_000L) / Math.Max(1, UidRangeSize) - 1;
        return (int)(1_000_000L + hash % blocks * Math.Max(1, UidRangeSize));
    }

    /// <summary>
    /// Read-only system paths the agent sees (the session directory and its CLI are added). A path missing on
    /// the host is skipped; a host symlink (<c>/bin</c> to <c>usr/bin</c>) is recreated as one.
    /// </summary>
    public List<string> SystemPaths { get; set; } = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"];

    /// <summary>Paths under the system paths that stay hidden: a directory becomes empty, a file reads as empty.</summary>
    public List<string> HiddenPaths { get; set; } =
    [
        "/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/security/opasswd",
        "/etc/ssh", "/etc/ssl/private", "/etc/sudoers", "/etc/sudoers.d",
        "/etc/postgresql", "/etc/postgresql-common", "/etc/redis", "/etc/docker", "/etc/kubernetes",
    ];

    public SandboxLimits Limits { get; set; } = new();
}

/// <summary>Per-session resource limits, set with setrlimit inside the sandbox (and in mode none too).</summary>
public sealed class SandboxLimits
{
    /// <summary>Processes the session's uid may have at once (RLIMIT_NPROC): a fork bomb stops here.</summary>
    public int MaxProcesses { get; set; } = 256;

    public int MaxOpenFiles { get; set; } = 1024;

    /// <summary>The largest file the agent may write (RLIMIT_FSIZE).</summary>
    public long MaxFileSizeMb { get; set; } = 1024;

    /// <summary>Address space per process (RLIMIT_AS); 0 for none.</summary>
    public long MaxMemoryMb { get; set; } = 8192;

    /// <summary>The size of the session's private <c>/tmp</c> (a tmpfs).</summary>
    public long TmpSizeMb { get; set; } = 512;
}
