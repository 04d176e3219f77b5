namespace AgentFleet.SessionRunner.Services;

/// <summary>The <c>SessionRunner</c> configuration section.</summary>
public sealed class SessionRunnerOptions
{
    public const string Section = "SessionRunner";

    /// <summary>Holds <c>sessions/&lt;id&gt;/</c>. Default: <c>$FLEET_HOME/runner</c>, else <c>.fleet/runner</c>.</summary>
    public string? Root { get; set; }

    /// <summary>
    /// This runner's stable name among the runners sharing the database: it owns the sessions under its root. A
    /// StatefulSet pod's name is stable; two runners on one host must be given different ones.
    /// </summary>
    public string RunnerId { get; set; } = Environment.MachineName;

    /// <summary>
    /// Where ManagementApi reaches this runner's gRPC endpoint (h2c), announced in <c>runners</c>. Default: the
    /// <c>grpc</c> endpoint's URL when it names a host (not a wildcard); else none, and ManagementApi uses service
    /// discovery, which is right for a single runner.
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>How often the runner renews its row in <c>runners</c> with its load.</summary>
    public double HeartbeatSeconds { get; set; } = 2;

    /// <summary>A runner whose heartbeat is older than this is taken for gone: no new sessions are placed on it.</summary>
    public double LeaseSeconds { get; set; } = 10;

    /// <summary>Agents running at once; further sessions wait, first in first out, as <c>queued</c>.</summary>
    public int MaxConcurrent { get; set; } = 4;

    /// <summary>The longest line of agent output taken whole, in characters; a longer one arrives in pieces.</summary>
    public int MaxLineLength { get; set; } = 8 * 1024 * 1024;

    /// <summary>The longest task a session accepts, in characters.</summary>
    public int MaxTaskLength { get; set; } = 100_000;

    public int DefaultTimeoutSeconds { get; set; } = 3600;

    public int MaxTimeoutSeconds { get; set; } = 24 * 3600;

    /// <summary>Between SIGTERM and SIGKILL when a session is stopped.</summary>
    public double StopGraceSeconds { get; set; } = 10;

    /// <summary>Finished sessions' directories and logs older than this are removed.</summary>
    public double RetentionDays { get; set; } = 7;

    public double CleanupIntervalMinutes { get; set; } = 60;

    /// <summary>Host variables an agent inherits; everything else (the host's secrets) stays out.</summary>
    public List<string> EnvironmentAllowList { get; set; } = ["PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TERM", "TMPDIR"];

    public ClaudeOptions Claude { get; set; } = new();

    public CommandOptions Command { get; set; } = new();

    public McpOptions Mcp { get; set; } = new();

    /// <summary>The longest argument vector a command session takes: arguments, each one's length, all together.</summary>
    public int MaxCommandArguments { get; set; } = 1024;

    public int MaxCommandArgumentLength { get; set; } = 32 * 1024;

    public int MaxCommandLength { get; set; } = 256 * 1024;

    /// <summary>The Gemini CLI's program; sessions of that kind fail clearly when it is not installed.</summary>
    public string GeminiPath { get; set; } = "gemini";

    public string CodexPath { get; set; } = "codex";

    public string ResolveRoot() =>
        Path.GetFullPath(Root
            ?? (Environment.GetEnvironmentVariable("FLEET_HOME") is { Length: > 0 } home ? Path.Combine(home, "runner") : Path.Combine(".fleet", "runner")));
}

public sealed class McpOptions
{
    /// <summary>
    /// The fleet's own MCP server (ManagementApi's <c>/mcp</c>), which each claude session gets as <c>fleet</c> under its
    /// session key. Default: ManagementApi's HTTP endpoint from service discovery; none: sessions do without it.
    /// </summary>
    public string? FleetUrl { get; set; }

    /// <summary>Programs a session's own stdio MCP servers may run (exact paths or names, as the request gives them); empty: none.</summary>
    public List<string> AllowedCommands { get; set; } = [];

    /// <summary>Hosts a session's own HTTP MCP servers may be at; empty: none.</summary>
    public List<string> AllowedHosts { get; set; } = [];
}

public sealed class CommandOptions
{
    /// <summary>Roles that may start a <c>command</c> session, which runs any program on the runner: admins only by default.</summary>
    public List<string> AllowedRoles { get; set; } = ["admin"];
}

public sealed class ClaudeOptions
{
    /// <summary>The Claude Code CLI; a bare name is looked up on PATH.</summary>
    public string Path { get; set; } = "claude";

    /// <summary>Where the agent finds the model. Default: ZaiProxy's HTTP endpoint from service discovery.</summary>
    public string? AnthropicBaseUrl { get; set; }

    /// <summary>
    /// <c>default</c>: every tool use not in <see cref="AllowedTools"/> goes to the fleet's permission prompt tool
    /// (<c>acceptEdits</c> would let the CLI run file commands such as <c>rm</c> without asking).
    /// </summary>
    public string PermissionMode { get; set; } = "default";

    /// <summary>Read-only tools, which never ask. Writes and edits are rated like any other use (low inside the session directory).</summary>
    public List<string> AllowedTools { get; set; } = ["Read", "Glob", "Grep", "LS", "TodoWrite"];
}
