using System.Diagnostics;
using AgentFleet.ServiceDefaults.Health;

namespace AgentFleet.ZaiProxy.Pool;

/// <summary>
/// <c>/health</c>'s <c>workers</c>, <c>queue</c> and <c>uptime</c> (seconds), as the original design reported them. The
/// pool and its queue belong to this process: with several replicas each has its own, and says so (<c>scope</c>
/// <c>replica</c>, and which one).
/// </summary>
public sealed class PoolHealth(WorkerPool pool) : IHealthDetails
{
    private readonly long _started = Stopwatch.GetTimestamp();

    public double UptimeSeconds => Math.Round(Stopwatch.GetElapsedTime(_started).TotalSeconds, 1);

    public IEnumerable<KeyValuePair<string, object?>> Describe() =>
    [
        new("workers", new { size = pool.Size, busy = pool.Busy, scope = "replica", replica = Environment.MachineName }),
        new("queue", new { length = pool.QueueLength, max = pool.MaxQueue, scope = "replica" }),
        new("uptime", UptimeSeconds),
    ];
}
