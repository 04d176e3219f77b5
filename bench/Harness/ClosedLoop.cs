using System.Diagnostics;

namespace AgentFleet.Bench.Harness;

/// <summary>A closed-loop load: N workers, each starting its next operation when the last one finished.</summary>
public static class ClosedLoop
{
    /// <summary>Warms up, then measures each operation's latency for <paramref name="duration"/>; an operation that throws counts as failed.</summary>
    public static async Task<LoadResult> RunAsync(Func<Task> operation, int concurrency, TimeSpan warmup, TimeSpan duration)
    {
        await DriveAsync(operation, concurrency, warmup, record: null);
        var latencies = new List<double>[concurrency];
        var stopwatch = Stopwatch.StartNew();
        var failures = await DriveAsync(operation, concurrency, duration, latencies);
        stopwatch.Stop();
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new LoadResult(all.Length, failures, stopwatch.Elapsed, all);
    }

    private static async Task<int> DriveAsync(Func<Task> operation, int concurrency, TimeSpan duration, List<double>[]? record)
    {
        var failures = 0;
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var mine = new List<double>(capacity: 100_000);
            if (record is not null)
            {
                record[worker] = mine;
            }
            while (Stopwatch.GetTimestamp() < until)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await operation();
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref failures);
                }
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        });
        await Task.WhenAll(workers);
        return failures;
    }
}

public sealed record LoadResult(int Requests, int Failures, TimeSpan Elapsed, double[] SortedLatenciesMs)
{
    public double PerSecond => Requests / Elapsed.TotalSeconds;

    public double Percentile(double p) =>
        SortedLatenciesMs.Length == 0 ? double.NaN : SortedLatenciesMs[Math.Min(SortedLatenciesMs.Length - 1, (int)(p / 100 * SortedLatenciesMs.Length))];
}
