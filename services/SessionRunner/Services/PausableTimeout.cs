namespace AgentFleet.SessionRunner.Services;

/// <summary>A session's time limit: it counts only while the agent runs, so a pause does not use it up.</summary>
public sealed class PausableTimeout(TimeSpan limit, Action onExpired) : IDisposable
{
    private readonly Timer _timer = new(_ => onExpired(), null, limit, Timeout.InfiniteTimeSpan);
    private TimeSpan _remaining = limit;
    private DateTimeOffset _resumedAt = DateTimeOffset.UtcNow;

    public void Pause()
    {
        lock (_timer)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _remaining -= DateTimeOffset.UtcNow - _resumedAt;
        }
    }

    public void Resume()
    {
        lock (_timer)
        {
            _resumedAt = DateTimeOffset.UtcNow;
            _timer.Change(_remaining > TimeSpan.Zero ? _remaining : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose() => _timer.Dispose();
}
