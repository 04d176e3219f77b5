using System.Collections.Concurrent;
using AgentFleet.ZaiProxy.Simulation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentFleet.ZaiProxy.Tests.Fixtures;

/// <summary>One request as the upstream received it.</summary>
public sealed record UpstreamRequest(string Body, string? ApiKey, string? Authorization, string? Beta);

/// <summary>
/// The simulated model served over real HTTP in the test process, standing in for Z.AI: the proxy under test calls it
/// as it would the real upstream, and the tests see what reached it and how many calls it had at once.
/// </summary>
public sealed class TestUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _inFlight;
    private int _maxInFlight;

    private TestUpstream(WebApplication app) => _app = app;

    public string BaseUrl => _app.Urls.First();

    public ConcurrentQueue<UpstreamRequest> Requests { get; } = new();

    public int MaxConcurrent => Volatile.Read(ref _maxInFlight);

    public IEnumerable<UpstreamRequest> RequestsContaining(string marker) => Requests.Where(r => r.Body.Contains(marker, StringComparison.Ordinal));

    public static async Task<TestUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var upstream = new TestUpstream(app);
        app.Use(async (context, next) =>
        {
            context.Request.EnableBuffering();
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync(context.RequestAborted);
            context.Request.Body.Position = 0;
            upstream.Requests.Enqueue(new UpstreamRequest(body, context.Request.Headers["x-api-key"], context.Request.Headers.Authorization, context.Request.Headers["anthropic-beta"]));
            var now = Interlocked.Increment(ref upstream._inFlight);
            int seen;
            while ((seen = Volatile.Read(ref upstream._maxInFlight)) < now && Interlocked.CompareExchange(ref upstream._maxInFlight, now, seen) != seen)
            {
            }
            try
            {
                await next(context);
            }
            finally
            {
                Interlocked.Decrement(ref upstream._inFlight);
            }
        });
        app.MapSimulatedUpstream(new SimulatedModel());
        await app.StartAsync();
        return upstream;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
