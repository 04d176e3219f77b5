using AgentFleet.Bench.Harness;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentFleet.Bench.Scenarios;

/// <summary>
/// What the shared pipeline costs: <c>GET /alive</c> through AddServiceDefaults/MapDefaultEndpoints
/// (telemetry, metrics, ProblemDetails, health checks with a JSON writer) against the same answer
/// from a bare Kestrel endpoint, both on loopback in this process.
/// </summary>
public sealed class ServiceDefaultsScenario : IScenario
{
    private const int Concurrency = 16;

    public string Name => "servicedefaults";

    public string Description => "GET /alive through the ServiceDefaults pipeline vs a bare Kestrel endpoint";

    public async Task RunAsync(BenchOptions options)
    {
        await using var bare = await StartAsync(withDefaults: false);
        await using var full = await StartAsync(withDefaults: true);

        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Concurrency, UseProxy = false });
        Func<Task> Get(WebApplication app)
        {
            var url = KestrelAddress.Of(app) + "/alive";
            return async () =>
            {
                using var response = await client.GetAsync(url);
                response.EnsureSuccessStatusCode();
                await response.Content.LoadIntoBufferAsync();
            };
        }

        // Alternate the two so drift on a shared machine (thermal, other load) hits both alike.
        var baseline = await ClosedLoop.RunAsync(Get(bare), Concurrency, options.Warmup, options.Duration);
        var measured = await ClosedLoop.RunAsync(Get(full), Concurrency, options.Warmup, options.Duration);
        var baseline2 = await ClosedLoop.RunAsync(Get(bare), Concurrency, options.Warmup, options.Duration);
        var measured2 = await ClosedLoop.RunAsync(Get(full), Concurrency, options.Warmup, options.Duration);

        Report.Load("bare Kestrel (baseline)", baseline);
        Report.Load("ServiceDefaults", measured);
        Report.Load("bare Kestrel (baseline) #2", baseline2);
        Report.Load("ServiceDefaults #2", measured2);
        var basePerSecond = (baseline.PerSecond + baseline2.PerSecond) / 2;
        var fullPerSecond = (measured.PerSecond + measured2.PerSecond) / 2;
        Report.Ratio("throughput", fullPerSecond, basePerSecond, "req/s");
        Report.Ratio("p99 latency", (measured.Percentile(99) + measured2.Percentile(99)) / 2, (baseline.Percentile(99) + baseline2.Percentile(99)) / 2, "ms");
    }

    private static async Task<WebApplication> StartAsync(bool withDefaults)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (withDefaults)
        {
            builder.AddServiceDefaults();
        }
        var app = builder.Build();
        if (withDefaults)
        {
            app.MapDefaultEndpoints();
        }
        else
        {
            app.MapGet("/alive", () => "Healthy");
        }
        await app.StartAsync();
        return app;
    }
}
