namespace AgentFleet.Testing;

/// <summary>How to start a server's process and how it likes to be stopped.</summary>
public sealed record LaunchSpec(string FileName, IReadOnlyList<string> Arguments, string WorkingDirectory)
{
    public Dictionary<string, string> Environment { get; init; } = [];

    /// <summary>The signal that asks for a graceful stop (PostgreSQL's fast shutdown is SIGINT).</summary>
    public int StopSignal { get; init; } = Signals.SIGTERM;
}

/// <summary>Linux signal numbers.</summary>
public static class Signals
{
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
}
