using System.Collections.Concurrent;
using System.Net;
using AgentFleet.ServiceDefaults.Resilience;
using AgentFleet.ServiceDefaults.Tests.Fixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Polly.CircuitBreaker;

namespace AgentFleet.ServiceDefaults.Tests;

/// <summary>Fault injection: a server that fails on purpose, called through the resilience handlers.</summary>
public sealed class ResilienceHandlerTests
{
    private static readonly ResilienceOptions Fast = ResilienceOptions.Standard with { BaseDelay = TimeSpan.FromMilliseconds(10) };

    private readonly ConcurrentDictionary<string, List<DateTime>> _hits = new();

    [Fact]
    public async Task AnIdempotentRequestIsRetriedUntilTheServerRecovers()
    {
        await using var app = await FaultyServerAsync();
        using var client = Client(app, new ResilienceHandler(Fast));

        using var response = await client.GetAsync("/fails-twice", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, _hits["/fails-twice"].Count);
    }

    [Fact]
    public async Task APostIsNeverSentTwice()
    {
        await using var app = await FaultyServerAsync();
        using var client = Client(app, new ResilienceHandler(Fast));

        using var response = await client.PostAsync("/fails-twice", new StringContent("x"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Single(_hits["/fails-twice"]);
    }

    [Fact]
    public async Task RetryAfterIsWaitedForBeforeTheNextAttempt()
    {
        await using var app = await FaultyServerAsync();
        using var client = Client(app, new ResilienceHandler(Fast));

        using var response = await client.GetAsync("/busy-once", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var hits = _hits["/busy-once"];
        Assert.Equal(2, hits.Count);
        Assert.True(hits[1] - hits[0] >= TimeSpan.FromMilliseconds(900), $"retried after {(hits[1] - hits[0]).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task TheCircuitOpensAfterRepeatedFailuresAndSparesTheServer()
    {
        await using var app = await FaultyServerAsync();
        var options = Fast with { MaxRetryAttempts = 1, MinimumThroughput = 2, FailureRatio = 0.5, BreakDuration = TimeSpan.FromSeconds(30) };
        using var client = Client(app, new ResilienceHandler(options));
        var ct = TestContext.Current.CancellationToken;

        using var first = await client.GetAsync("/down", ct);

        Assert.Equal(HttpStatusCode.InternalServerError, first.StatusCode);
        await Assert.ThrowsAsync<BrokenCircuitException>(() => client.GetAsync("/down", ct));
        Assert.Equal(2, _hits["/down"].Count);
    }

    [Fact]
    public async Task AStreamedResponseOutlivesTheAttemptTimeout()
    {
        await using var app = await FaultyServerAsync();
        var options = ResilienceOptions.Streaming with { AttemptTimeout = TimeSpan.FromMilliseconds(300) };
        using var client = Client(app, new StreamingResilienceHandler(options));
        var ct = TestContext.Current.CancellationToken;

        using var response = await client.GetAsync("/slow-stream", HttpCompletionOption.ResponseHeadersRead, ct);
        var body = await response.Content.ReadAsStringAsync(ct);

        Assert.Equal("first\nsecond\n", body);
    }

    private static HttpClient Client(WebApplication app, DelegatingHandler handler)
    {
        handler.InnerHandler = app.GetTestServer().CreateHandler();
        return new HttpClient(handler) { BaseAddress = new Uri("http://localhost") };
    }

    private Task<WebApplication> FaultyServerAsync() => TestApp.StartAsync(app =>
    {
        app.Use(async (context, next) =>
        {
            var list = _hits.GetOrAdd(context.Request.Path, _ => []);
            lock (list)
            {
                list.Add(DateTime.UtcNow);
            }
            await next(context);
        });
        app.MapMethods("/fails-twice", ["GET", "POST"], (HttpContext context) =>
            _hits["/fails-twice"].Count <= 2 ? Results.StatusCode(503) : Results.Ok("recovered"));
        app.MapGet("/busy-once", (HttpContext context) =>
        {
            if (_hits["/busy-once"].Count > 1)
            {
                return Results.Ok("done");
            }
            context.Response.Headers.RetryAfter = "1";
            return Results.StatusCode(429);
        });
        app.MapGet("/down", () => Results.StatusCode(500));
        app.MapGet("/slow-stream", async (HttpContext context) =>
        {
            await context.Response.WriteAsync("first\n");
            await context.Response.Body.FlushAsync();
            await Task.Delay(900);
            await context.Response.WriteAsync("second\n");
        });
    });
}
