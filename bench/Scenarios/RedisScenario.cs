using System.Diagnostics;
using System.Globalization;
using AgentFleet.Bench.Harness;
using AgentFleet.Testing;
using StackExchange.Redis;

namespace AgentFleet.Bench.Scenarios;

/// <summary>
/// SET and GET per second through StackExchange.Redis (64 callers multiplexed on one connection, so commands
/// pipeline), and PUBLISH-to-receive latency; beside redis-benchmark against the same server in the same run.
/// </summary>
public sealed class RedisScenario : IScenario
{
    private const int Concurrency = 64;

    public string Name => "redis";

    public string Description => "SET/GET per second and PUBLISH-to-receive latency (StackExchange.Redis) vs redis-benchmark";

    public async Task RunAsync(BenchOptions options)
    {
        await using var server = await LocalServer.StartRedisAsync(CancellationToken.None);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        var client = connection.GetDatabase();
        var value = new byte[64];

        var set = await ClosedLoop.RunAsync(async () => await client.StringSetAsync($"bench:{Random.Shared.Next(10_000)}", value), Concurrency, options.Warmup, options.Duration);
        var get = await ClosedLoop.RunAsync(async () => await client.StringGetAsync($"bench:{Random.Shared.Next(10_000)}"), Concurrency, options.Warmup, options.Duration);
        var requests = options.Quick ? 100_000 : 500_000;
        var baseline = await RedisBenchmarkAsync(server, requests, Concurrency, "-t", "set,get", "-d", "64");

        Report.Load("SET (StackExchange.Redis)", set);
        Report.Load("GET (StackExchange.Redis)", get);
        foreach (var (test, row) in baseline)
        {
            Console.WriteLine($"{test + " (redis-benchmark -c 64)",-28} {row.PerSecond,10:N0} req/s   p50 {row.P50,7:0.000} ms   p99 {row.P99,7:0.000} ms");
        }
        Report.Ratio("SET throughput", set.PerSecond, baseline["SET"].PerSecond, "req/s");
        Report.Ratio("GET throughput", get.PerSecond, baseline["GET"].PerSecond, "req/s");

        var (setBytes, getBytes) = await AllocationPerCommandAsync(client, value);
        Console.WriteLine($"{"allocated per SET / GET",-28} {setBytes:N0} / {getBytes:N0} bytes (whole process, one caller, 20,000 commands each; the 64-byte value is in GET's figure)");

        var (p50, p99, count) = await PublishLatencyAsync(connection.GetSubscriber(), options.Quick ? 2_000 : 10_000);
        var publish = await RedisBenchmarkAsync(server, requests / 10, 1, "PUBLISH", "bench:nobody", "x");
        Console.WriteLine($"{"PUBLISH->receive (ours)",-28} p50 {p50,7:0.000} ms   p99 {p99,7:0.000} ms   ({count:N0} messages, one at a time)");
        Console.WriteLine($"{"PUBLISH (redis-benchmark)",-28} p50 {publish.Values.First().P50,7:0.000} ms   p99 {publish.Values.First().P99,7:0.000} ms   (PUBLISH round trip, 1 client)");
        Report.Ratio("p50 latency", p50, publish.Values.First().P50, "ms");
    }

    /// <summary>Bytes the whole process allocates per command, measured over sequential commands after a warm-up.</summary>
    private static async Task<(double Set, double Get)> AllocationPerCommandAsync(IDatabase client, byte[] value)
    {
        const int commands = 20_000;
        for (var i = 0; i < 1_000; i++)
        {
            await client.StringSetAsync("bench:alloc", value);
            await client.StringGetAsync("bench:alloc");
        }
        var start = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < commands; i++)
        {
            await client.StringSetAsync("bench:alloc", value);
        }
        var afterSet = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < commands; i++)
        {
            await client.StringGetAsync("bench:alloc");
        }
        var afterGet = GC.GetTotalAllocatedBytes(precise: true);
        return ((afterSet - start) / (double)commands, (afterGet - afterSet) / (double)commands);
    }

    /// <summary>Each message carries its send time; the subscriber notes when it arrived.</summary>
    private static async Task<(double P50, double P99, int Count)> PublishLatencyAsync(ISubscriber client, int messages)
    {
        var latencies = new List<double>(messages);
        var done = new TaskCompletionSource();
        var channel = RedisChannel.Literal("bench:latency");
        var queue = await client.SubscribeAsync(channel);
        queue.OnMessage(message =>
        {
            var sent = long.Parse(message.Message.ToString(), CultureInfo.InvariantCulture);
            latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            if (latencies.Count == messages)
            {
                done.TrySetResult();
            }
        });
        for (var i = 0; i < messages; i++)
        {
            await client.PublishAsync(channel, Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture));
        }
        await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await queue.UnsubscribeAsync();
        latencies.Sort();
        return (latencies[latencies.Count / 2], latencies[(int)(latencies.Count * 0.99)], latencies.Count);
    }

    private sealed record BenchmarkRow(double PerSecond, double P50, double P99);

    /// <summary>Runs redis-benchmark (no pipelining) and reads its CSV: test, rps, avg, min, p50, p95, p99, max.</summary>
    private static async Task<Dictionary<string, BenchmarkRow>> RedisBenchmarkAsync(LocalServer server, int requests, int clients, params string[] test)
    {
        var start = new ProcessStartInfo("redis-benchmark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-h", "127.0.0.1", "-p", server.Port.ToString(CultureInfo.InvariantCulture), "-a", server.Password, "-c", clients.ToString(CultureInfo.InvariantCulture), "-n", requests.ToString(CultureInfo.InvariantCulture), "-q", "--csv" }.Concat(test))
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var rows = new Dictionary<string, BenchmarkRow>();
        foreach (var line in output.Split('\n').Skip(1).Where(l => l.StartsWith('"')))
        {
            var cells = line.Split(',').Select(c => c.Trim('"')).ToArray();
            rows[cells[0].Split(' ')[0]] = new BenchmarkRow(double.Parse(cells[1], CultureInfo.InvariantCulture), double.Parse(cells[4], CultureInfo.InvariantCulture), double.Parse(cells[6], CultureInfo.InvariantCulture));
        }
        return rows;
    }
}
