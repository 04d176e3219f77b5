namespace AgentFleet.ManagementApi.Model;

/// <summary>
/// The <c>Limits</c> section: what one owner may hold at once. The runner's own limit (<c>SessionRunner:MaxConcurrent</c>)
/// queues work fairly in arrival order; this one keeps a single owner from filling that queue. Admins are not limited.
/// </summary>
public sealed class SessionLimits
{
    public const string Section = "Limits";

    /// <summary>Sessions queued, running or paused per owner; 0 for no limit.</summary>
    public int MaxActiveSessionsPerOwner { get; set; } = 10;

    /// <summary>How long one attempt to start a session on the runner may take before it is asked again.</summary>
    public double RunnerStartTimeoutSeconds { get; set; } = 30;
}
