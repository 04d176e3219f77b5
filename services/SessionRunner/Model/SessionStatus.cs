namespace AgentFleet.SessionRunner.Model;

/// <summary>The states a session moves through; the last four are terminal until a resume.</summary>
public static class SessionStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    /// <summary>Running, with a tool use waiting for a person's approval.</summary>
    public const string WaitingApproval = "waiting_approval";
    public const string Paused = "paused";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Stopped = "stopped";
    public const string Interrupted = "interrupted";

    public static bool IsTerminal(string status) => status is Completed or Failed or Stopped or Interrupted;

    /// <summary>Statuses the runner owns a live process (or queue slot) for; after a crash they become interrupted.</summary>
    public static bool IsActive(string status) => status is Queued or Running or WaitingApproval or Paused;
}
