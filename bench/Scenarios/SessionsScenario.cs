using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.Bench.Harness;
using AgentFleet.Hosting.Orchestration;
using AgentFleet.Hosting.Testing;

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
        var runnerGrpc = $"http://127.0.0.1:{PortAllocator.GetFreePort()}";
        var root = Path.Combine(Path.GetTempPath(), $"fleet-bench-{Guid.NewGuid():N}");
        var shared = new Dictionary<string, string> { ["ConnectionStrings__fleetdb"] = postgres.ConnectionString, ["ConnectionStrings__redis"] = redis.ConnectionString };
        await using var runner = await StartAsync("SessionRunner", new(shared)
        {
            ["Kestrel__Endpoints__grpc__Url"] = runnerGrpc,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["SessionRunner__Root"] = root,
        });
        await using var api = await StartAsync("ManagementApi", new(shared) { ["services__session-runner__grpc__0"] = runnerGrpc });
        using var http = new HttpClient { BaseAddress = new Uri(api.HttpUrl), Timeout = Timeout.InfiniteTimeSpan };

        var pipe = await BarePipeAsync(events);
        Console.WriteLine($"{"bare pipe (baseline)",-30} {pipe,10:N0} lines/s");
        foreach (var subscribers in new[] { 1, 100 })
        {
            var result = await PipelineAsync(http, events, subscribers);
            Console.WriteLine($"{$"pipeline, {subscribers} subscriber(s)",-30} persisted {result.Persisted,10:N0} events/s   delivered {result.Delivered,10:N0} events/s per subscriber   p50 {result.P50,7:0.00} ms   p99 {result.P99,7:0.00} ms   gaps+duplicates {result.Faults}");
            Report.Ratio($"persisted vs pipe ({subscribers})", result.Persisted, pipe, "events/s");
        }
        Directory.Delete(root, recursive: true);
    }

    private static string[] Agent(int events) =>
        ["python3", "-c", $"import time,sys\ntime.sleep(3)\nw=sys.stdout.write\nfor i in range({events}):\n    w(f'{{i}} {{time.time_ns()}}\\n'); sys.stdout.flush()"];

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

    private sealed record PipelineResult(double Persisted, double Delivered, double P50, double P99, int Faults);

    private static async Task<PipelineResult> PipelineAsync(HttpClient http, int events, int subscribers)
    {
        var created = await (await http.PostAsJsonAsync("/v1/sessions", new { agent = "command", command = Agent(events), task = "print events" })).Content.ReadFromJsonAsync<JsonObject>();
        var id = created!["sessionId"]!.GetValue<string>();
        // The agent sleeps 3 s first, so every subscriber is live before the first line.
        var readers = Enumerable.Range(0, subscribers).Select(_ => Task.Run(() => SubscribeAsync(http, id))).ToList();
        var results = await Task.WhenAll(readers);
        var history = (await http.GetFromJsonAsync<JsonObject>($"/v1/sessions/{id}/messages?limit=5000&since=0"))!["events"]!.AsArray();
        var first = history.First(e => e!["type"]!.GetValue<string>() == "log")!["createdAt"]!.GetValue<DateTimeOffset>();
        var last = (await http.GetFromJsonAsync<JsonObject>($"/v1/sessions/{id}"))!["endedAt"]!.GetValue<DateTimeOffset>();
        var latencies = results.SelectMany(r => r.Latencies).Order().ToArray();
        return new PipelineResult(events / (last - first).TotalSeconds, results.Average(r => r.PerSecond),
            latencies[latencies.Length / 2], latencies[(int)(latencies.Length * 0.99)], results.Sum(r => r.Faults));
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
                var content = JsonNode.Parse(line.AsSpan(6).ToString())!["content"]!.GetValue<string>();
                var written = long.Parse(content.AsSpan(content.IndexOf(' ') + 1));
                latencies.Add((now - DateTime.UnixEpoch).TotalMilliseconds - written / 1e6);
            }
        }
        return (latencies, latencies.Count / (clock?.Elapsed.TotalSeconds ?? 1), faults);
    }

    private static Task<ServiceProcess> StartAsync(string name, Dictionary<string, string> environment)
    {
        environment["Kestrel__Endpoints__http__Url"] = $"http://127.0.0.1:{PortAllocator.GetFreePort()}";
        // Measured as deployed, not in the Development environment the test helper defaults to.
        environment["DOTNET_ENVIRONMENT"] = "Production";
        return ServiceProcess.StartAsync(typeof(SessionsScenario).Assembly, name, environment, CancellationToken.None);
    }
}
