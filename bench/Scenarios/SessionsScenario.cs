using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.Bench.Harness;
using AgentFleet.Testing;

namespace AgentFleet.Bench.Scenarios;

/// <summary>
/// The session pipeline under a synthetic agent (the command kind running a program that prints N timestamped
/// lines as fast as it can): events per second persisted and delivered to SSE clients, and write-to-receipt
/// latency, with 1 and with 100 subscribers; beside the same program read straight from a pipe (the ceiling).
/// </summary>
public sealed class SessionsScenario : IScenario
{
    public string Name => "sessions";

    public string Description => "agent line -> persisted -> SSE client: events/s and p50/p99 latency, 1 and 100 subscribers, vs a bare pipe";

    public async Task RunAsync(BenchOptions options)
    {
        var events = options.Quick ? 20_000 : 100_000;
        await using var postgres = await LocalServer.StartPostgresAsync(CancellationToken.None);
        await using var redis = await LocalServer.StartRedisAsync(CancellationToken.None);
        var runnerGrpc = BenchServices.FreeUrl();
        var root = Path.Combine(Path.GetTempPath(), $"fleet-bench-{Guid.NewGuid():N}");
        var shared = new Dictionary<string, string> { ["ConnectionStrings__fleetdb"] = postgres.ConnectionString, ["ConnectionStrings__redis"] = redis.ConnectionString };
        await using var runner = await BenchServices.StartAsync("SessionRunner", new(shared)
        {
            ["Kestrel__Endpoints__grpc__Url"] = runnerGrpc,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["SessionRunner__Root"] = root,
            ["Identity__Secret"] = BenchIdentity.Secret,
        });
        await using var api = await BenchServices.StartAsync("ManagementApi", new(shared) { ["services__session-runner__grpc__0"] = runnerGrpc, ["Identity__Secret"] = BenchIdentity.Secret });
        using var http = new HttpClient(BenchIdentity.AdminHandler()) { BaseAddress = new Uri(api.HttpUrl), Timeout = Timeout.InfiniteTimeSpan };

        var pipe = await BarePipeAsync(events);
        Console.WriteLine($"{"bare pipe (baseline)",-30} {pipe,10:N0} lines/s");
        // Flat out, the agent outruns the pipeline and latency measures the backlog; paced below capacity, it
        // measures the pipeline itself. 100 subscribers multiply the delivered events (and this machine's two
        // cores also run the 100 clients), so they are paced lower.
        foreach (var (subscribers, rate) in new[] { (1, 0), (100, 0), (1, 20_000), (100, 1_000), (100, 2_000) })
        {
            var count = rate == 0 ? events : Math.Min(events, rate * (options.Quick ? 5 : 10));
            var result = await PipelineAsync(http, count, subscribers, rate);
            var label = $"{subscribers} sub(s), {(rate == 0 ? "flat out" : $"{rate:N0}/s offered")}";
            Console.WriteLine($"{label,-30} persisted {result.Persisted,8:N0} events/s   delivered {result.Delivered,8:N0} events/s per subscriber   p50/p90/p99/max {result.P50,6:0.0} /{result.P90,6:0.0} /{result.P99,6:0.0} /{result.Max,7:0.0} ms   gaps+duplicates {result.Faults}");
            if (rate == 0)
            {
                Report.Ratio($"persisted vs pipe ({subscribers})", result.Persisted, pipe, "events/s");
            }
        }
        Directory.Delete(root, recursive: true);
    }

    /// <summary>Prints <paramref name="events"/> lines "i unix-ns", as fast as it can or paced at <paramref name="rate"/> lines/s.</summary>
    private static string[] Agent(int events, int rate = 0) =>
        ["python3", "-c", $"import time,sys\ntime.sleep(3)\nw=sys.stdout.write\nf=sys.stdout.flush\nstart=time.time()\nfor i in range({events}):\n    d=start+i/{Math.Max(rate, 1)}-time.time() if {rate} else 0\n    if d>0: time.sleep(d)\n    w(f'{{i}} {{time.time_ns()}}\\n'); f()"];

    private static async Task<double> BarePipeAsync(int events)
    {
        var command = Agent(events);
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true };
        start.ArgumentList.Add(command[1]);
        start.ArgumentList.Add(command[2].Replace("time.sleep(3)", "pass"));
        using var process = Process.Start(start)!;
        var stopwatch = Stopwatch.StartNew();
        var count = 0;
        while (await process.StandardOutput.ReadLineAsync() is not null)
        {
            count++;
        }
        return count / stopwatch.Elapsed.TotalSeconds;
    }

    private sealed record PipelineResult(double Persisted, double Delivered, double P50, double P90, double P99, double Max, int Faults);

    private static async Task<PipelineResult> PipelineAsync(HttpClient http, int events, int subscribers, int rate)
    {
        var created = await (await http.PostAsJsonAsync("/v1/sessions", new { agent = "command", command = Agent(events, rate), task = "print events" })).Content.ReadFromJsonAsync<JsonObject>();
        var id = created!["sessionId"]!.GetValue<string>();
        // The agent sleeps 3 s first, so every subscriber is live before the first line.
        var readers = Enumerable.Range(0, subscribers).Select(_ => Task.Run(() => SubscribeAsync(http, id))).ToList();
        var results = await Task.WhenAll(readers);
        var history = (await http.GetFromJsonAsync<JsonObject>($"/v1/sessions/{id}/messages?limit=5000&since=0"))!["events"]!.AsArray();
        var first = history.First(e => e!["type"]!.GetValue<string>() == "log")!["createdAt"]!.GetValue<DateTimeOffset>();
        var last = (await http.GetFromJsonAsync<JsonObject>($"/v1/sessions/{id}"))!["endedAt"]!.GetValue<DateTimeOffset>();
        var latencies = results.SelectMany(r => r.Latencies).Order().ToArray();
        return new PipelineResult(events / (last - first).TotalSeconds, results.Average(r => r.PerSecond),
            latencies[latencies.Length / 2], latencies[(int)(latencies.Length * 0.9)], latencies[(int)(latencies.Length * 0.99)], latencies[^1],
            // Out of order or repeated, plus any event a subscriber never got (a stream that ended early).
            results.Sum(r => r.Faults + Math.Abs(events - r.Latencies.Count)));
    }

    private static async Task<(List<double> Latencies, double PerSecond, int Faults)> SubscribeAsync(HttpClient http, string id)
    {
        using var response = await http.GetAsync($"/v1/sessions/{id}/events", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var latencies = new List<double>();
        long expected = 1;
        var faults = 0;
        Stopwatch? clock = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                var sequence = long.Parse(line.AsSpan(4));
                faults += sequence == expected ? 0 : 1;
                expected = sequence + 1;
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && line.Contains("\"type\":\"log\""))
            {
                var now = DateTime.UtcNow;
                clock ??= Stopwatch.StartNew();
                // The client's own cost is kept small (no JSON parse per event): it shares the machine with the pipeline.
                var content = line.AsSpan(line.IndexOf("\"content\":\"", StringComparison.Ordinal) + 11);
                content = content[(content.IndexOf(' ') + 1)..];
                var written = long.Parse(content[..content.IndexOf('"')]);
                latencies.Add((now - DateTime.UnixEpoch).TotalMilliseconds - written / 1e6);
            }
        }
        return (latencies, latencies.Count / (clock?.Elapsed.TotalSeconds ?? 1), faults);
    }
}
