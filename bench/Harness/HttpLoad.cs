using System.Diagnostics;

namespace AgentFleet.Bench.Harness;

/// <summary>A closed-loop load on loopback: N workers, each sending its next request when the last one answers.</summary>
public static class HttpLoad
{
    public static async Task<LoadResult> RunAsync(string url, int concurrency, TimeSpan warmup, TimeSpan duration)
    {
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, UseProxy = false });
        await DriveAsync(client, url, concurrency, warmup, record: null);
        var latencies = new List<double>[concurrency];
        var stopwatch = Stopwatch.StartNew();
        var failures = await DriveAsync(client, url, concurrency, duration, latencies);
        stopwatch.Stop();
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new LoadResult(all.Length, failures, stopwatch.Elapsed, all);
    }

    private static async Task<int> DriveAsync(HttpClient client, string url, int concurrency, TimeSpan duration, List<double>[]? record)
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
                using var response = await client.GetAsync(url);
                await response.Content.LoadIntoBufferAsync();
                if (!response.IsSuccessStatusCode)
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
