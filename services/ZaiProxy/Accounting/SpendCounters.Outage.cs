using System.Collections.Concurrent;
using StackExchange.Redis;

namespace AgentFleet.ZaiProxy.Accounting;

/// <summary>
/// While Redis does not answer: a warning now and then rather than one per model call, and the counters this replica
/// could not add to, deleted once Redis answers again so that their next read seeds them afresh from PostgreSQL.
/// </summary>
public sealed partial class SpendCounters
{
    private static readonly TimeSpan WarningInterval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, byte> _missed = new();
    private long _nextWarning;
    private int _unreachable;

    /// <summary>Connected, and the counters it missed while it was not are deleted (to be seeded again from PostgreSQL).</summary>
    private async Task<bool> ReachableAsync()
    {
        if (!redis!.IsConnected)
        {
            Unreachable("not connected");
            return false;
        }
        if (_missed.IsEmpty)
        {
            return true;
        }
        // Taken off the list first: a miss recorded while these are deleted stays on it for the next time.
        var missed = _missed.Keys.ToArray();
        foreach (var key in missed)
        {
            _missed.TryRemove(key, out _);
        }
        try
        {
            // One DEL per key: counters of different groups may live on different cluster nodes.
            var database = redis.GetDatabase();
            await Task.WhenAll(missed.Select(key => database.KeyDeleteAsync(key))).WaitAsync(Patience);
            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Missed(missed);
            Unreachable(e.Message);
            return false;
        }
    }

    private void Missed(IReadOnlyList<string> keys)
    {
        foreach (var key in keys)
        {
            _missed.TryAdd(key, 0);
        }
    }

    private decimal? Unreachable(string reason)
    {
        Volatile.Write(ref _unreachable, 1);
        // Every model call would say so: once a minute is enough to be noticed.
        var now = Environment.TickCount64;
        var next = Interlocked.Read(ref _nextWarning);
        if (now >= next && Interlocked.CompareExchange(ref _nextWarning, now + (long)WarningInterval.TotalMilliseconds, next) == next)
        {
            LogUnreachable(logger, reason);
        }
        return null;
    }

    private void Reachable()
    {
        if (Interlocked.Exchange(ref _unreachable, 0) == 1)
        {
            LogResumed(logger);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Redis does not answer ({Reason}): budgets count only this replica's calls on top of what PostgreSQL has until it does")]
    private static partial void LogUnreachable(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Information, "Redis answers again: budgets are counted across replicas again")]
    private static partial void LogResumed(ILogger logger);
}
