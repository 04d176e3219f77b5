using System.Diagnostics;
using System.Text;
using AgentFleet.Bench.Harness;
using AgentFleet.Testing;
using AgentFleet.ServiceDefaults.Security;
using Microsoft.Extensions.Configuration;

namespace AgentFleet.Bench.Scenarios;

/// <summary>
/// Streamed Messages calls to the simulated model, straight to it and through the proxy (pool, queue, relay, usage
/// recording), interleaved one by one in the same run: time to the first text delta and to the end of the stream.
/// </summary>
public sealed class ZaiProxyScenario : IScenario
{
    public string Name => "zai-proxy";

    public string Description => "streamed Messages calls, direct to the simulated upstream vs through ZaiProxy: time to first token and total, p50/p99";

    public async Task RunAsync(BenchOptions options)
    {
        var requests = options.Quick ? 300 : 1_000;
        await using var postgres = await LocalServer.StartPostgresAsync(CancellationToken.None);
        var database = await postgres.CreateDatabaseAsync(CancellationToken.None);
        const string secret = "bench-secret";
        await using var upstream = await StartAsync(database, secret, new() { ["Upstream__Simulated"] = "true", ["Upstream__ServeSimulator"] = "true" });
        await using var proxy = await StartAsync(database, secret, new() { ["Upstream__BaseUrl"] = upstream.HttpUrl + "/simulated", ["Upstream__ApiKey"] = "bench-upstream-key" });
        var keys = new SessionKeys(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["SessionKeys:Secret"] = secret }).Build());
        var key = keys.Issue(Guid.NewGuid().ToString());

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var direct = new Samples();
        var proxied = new Samples();
        // Warm both paths (JIT, connections) before measuring.
        for (var i = 0; i < 50; i++)
        {
            await CallAsync(http, upstream.HttpUrl + "/simulated", key, new Samples());
            await CallAsync(http, proxy.HttpUrl, key, new Samples());
        }
        for (var i = 0; i < requests; i++)
        {
            await CallAsync(http, upstream.HttpUrl + "/simulated", key, direct);
            await CallAsync(http, proxy.HttpUrl, key, proxied);
        }

        Console.WriteLine($"{requests:N0} streamed requests each way, 20 text deltas per reply, one at a time");
        foreach (var (label, samples) in new[] { ("direct to simulated upstream", direct), ("through ZaiProxy", proxied) })
        {
            Console.WriteLine($"{label,-30} first token p50 {samples.FirstToken(50),6:0.000} ms  p99 {samples.FirstToken(99),6:0.000} ms   total p50 {samples.Total(50),6:0.000} ms  p99 {samples.Total(99),6:0.000} ms");
        }
        Console.WriteLine($"{"added by the proxy",-30} first token p50 {proxied.FirstToken(50) - direct.FirstToken(50),6:0.000} ms  p99 {proxied.FirstToken(99) - direct.FirstToken(99),6:0.000} ms   total p50 {proxied.Total(50) - direct.Total(50),6:0.000} ms  p99 {proxied.Total(99) - direct.Total(99),6:0.000} ms");
        Report.Ratio("total p50 proxy vs direct", proxied.Total(50), direct.Total(50), "ms");
    }

    private static async Task CallAsync(HttpClient http, string baseUrl, string key, Samples samples)
    {
        const string body = """{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"#sim tokens 20"}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", key);
        request.Headers.Add("anthropic-version", "2023-06-01");
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        double? first = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (first is null && line.Contains("text_delta", StringComparison.Ordinal))
            {
                first = clock.Elapsed.TotalMilliseconds;
            }
        }
        samples.Add(first ?? double.NaN, clock.Elapsed.TotalMilliseconds);
    }

    private sealed class Samples
    {
        private readonly List<double> _first = [];
        private readonly List<double> _total = [];

        public void Add(double first, double total)
        {
            _first.Add(first);
            _total.Add(total);
        }

        public double FirstToken(int percentile) => Percentile(_first, percentile);

        public double Total(int percentile) => Percentile(_total, percentile);

        private static double Percentile(List<double> values, int percentile)
        {
            var sorted = values.Order().ToArray();
            return sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * percentile / 100.0))];
        }
    }

    private static Task<ServiceProcess> StartAsync(string database, string secret, Dictionary<string, string> environment)
    {
        environment["ConnectionStrings__fleetdb"] = database;
        environment["SessionKeys__Secret"] = secret;
        environment["Usage__SpoolDirectory"] = Path.Combine(Path.GetTempPath(), $"fleet-bench-zai-spool-{Guid.NewGuid():N}");
        return BenchServices.StartAsync("ZaiProxy", environment);
    }
}
