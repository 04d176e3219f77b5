namespace AgentFleet.AppHost.Supervision;

/// <summary>
/// How long to wait before restarting a resource that exited: 1 s, 2 s, 4 s ... up to 30 s while it keeps failing,
/// back to 1 s once it has been healthy for <see cref="StableHealthy"/> in one run, so an old bad patch does not
/// slow down the restart after a crash much later. Each wait gets up to 20% jitter so restarts spread out.
/// </summary>
public sealed class RestartBackoff
{
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan StableHealthy = TimeSpan.FromSeconds(15);

    private int _consecutiveFailures;

    /// <summary>The wait before the next start, given how long the run that just ended was continuously healthy.</summary>
    public TimeSpan Next(TimeSpan healthyFor, double jitter)
    {
        _consecutiveFailures = healthyFor >= StableHealthy ? 1 : _consecutiveFailures + 1;
        var seconds = Math.Min(MaxDelay.TotalSeconds, Math.Pow(2, _consecutiveFailures - 1));
        return TimeSpan.FromSeconds(seconds * (1 + Math.Clamp(jitter, 0, 1) * 0.2));
    }
}
