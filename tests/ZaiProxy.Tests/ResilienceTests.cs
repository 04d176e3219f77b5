using System.Net;
using AgentFleet.ZaiProxy.Tests.Fixtures;
using static AgentFleet.ZaiProxy.Tests.Fixtures.ProxyClient;

namespace AgentFleet.ZaiProxy.Tests;

/// <summary>The pool and queue under load, retries, the circuit breaker, and streams that break.</summary>
public sealed class ResilienceTests(ProxyFixture fixture)
{
    [Fact]
    public async Task AHundredCallersAgainstFourWorkersAndFiftyPlacesGetQueueFullWithRetryAfterAndTheUpstreamNeverSeesMoreThanFour()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await fixture.StartProxyAsync(new()
        {
            ["Upstream__BaseUrl"] = upstream.BaseUrl,
            ["Upstream__ApiKey"] = "k",
            ["CLAUDE_WORKER_POOL_SIZE"] = "4",
            ["CLAUDE_MAX_QUEUE_SIZE"] = "50",
        }, ct);
        var (key, _) = ProxyFixture.NewSessionKey();
        using var http = For(proxy, key);
        http.Timeout = TimeSpan.FromMinutes(2);

        var calls = Enumerable.Range(0, 100).Select(i => Task.Run(async () =>
        {
            using var response = await PostAsync(http, Message($"call {i}\n#sim tokens 5\n#sim delay 40"), ct);
            var body = await JsonAsync(response, ct);
            return (response.StatusCode, Code: body["code"]?.GetValue<string>(), RetryAfter: response.Headers.RetryAfter?.Delta);
        }, ct)).ToList();
        var results = await Task.WhenAll(calls);

        var rejected = results.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(rejected);
        Assert.All(rejected, r =>
        {
            Assert.Equal("queue_full", r.Code);
            Assert.True(r.RetryAfter >= TimeSpan.FromSeconds(1));
        });
        Assert.Equal(100 - rejected.Count, results.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.True(results.Count(r => r.StatusCode == HttpStatusCode.OK) >= 54, "4 running and 50 queued all complete");
        Assert.Equal(4, upstream.MaxConcurrent);
    }

    [Fact]
    public async Task UpstreamOverloadedThenOkIsRetriedAndTheCallerSeesOnlyTheSuccess()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, _) = ProxyFixture.NewSessionKey();
        using var http = For(fixture.Relayed, key);
        var marker = Guid.NewGuid().ToString("N");

        using var response = await PostAsync(http, Message($"{marker}\n#sim fail 529 2"), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(marker, (await JsonAsync(response, ct))["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(3, fixture.Upstream.RequestsContaining(marker).Count());
    }

    [Fact]
    public async Task ASpendLimitErrorIsNeverRetried()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, _) = ProxyFixture.NewSessionKey();
        using var http = For(fixture.Relayed, key);
        var marker = Guid.NewGuid().ToString("N");

        using var response = await PostAsync(http, Message($"{marker}\n#sim fail 402 3"), ct);

        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        Assert.Equal("billing_error", (await JsonAsync(response, ct))["error"]!["type"]!.GetValue<string>());
        Assert.Single(fixture.Upstream.RequestsContaining(marker));
    }

    [Fact]
    public async Task ErrorsTheUpstreamKeepsSendingReachTheCallerInAnthropicsShapeAfterTheRetries()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, _) = ProxyFixture.NewSessionKey();
        using var http = For(fixture.Relayed, key);
        var marker = Guid.NewGuid().ToString("N");

        using var overloaded = await PostAsync(http, Message($"{marker}\n#sim error 529"), ct);
        using var invalid = await PostAsync(http, Message($"{marker}-400\n#sim error 400"), ct);

        Assert.Equal(529, (int)overloaded.StatusCode);
        Assert.Equal("overloaded_error", (await JsonAsync(overloaded, ct))["error"]!["type"]!.GetValue<string>());
        Assert.Equal(4, fixture.Upstream.RequestsContaining(marker + "\\n").Count());
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal("invalid_request_error", (await JsonAsync(invalid, ct))["error"]!["type"]!.GetValue<string>());
        Assert.Single(fixture.Upstream.RequestsContaining(marker + "-400"));
    }

    [Fact]
    public async Task AStreamCutMidWayEndsWithAnErrorEventNotAHang()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, _) = ProxyFixture.NewSessionKey();
        using var http = For(fixture.Relayed, key);
        http.Timeout = TimeSpan.FromSeconds(20);

        using var response = await PostAsync(http, Message("#sim tokens 20\n#sim cut 5", stream: true), ct);
        var events = await EventsAsync(response, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(5, events.Count(e => e.Name == "content_block_delta"));
        var (name, data) = events[^1];
        Assert.Equal("error", name);
        Assert.Equal("error", data["type"]!.GetValue<string>());
        Assert.Equal("api_error", data["error"]!["type"]!.GetValue<string>());
        Assert.DoesNotContain(events, e => e.Name == "message_stop");
    }

    [Fact]
    public async Task AFailingUpstreamOpensTheCircuitAndCallsArePausedWithoutReachingIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var upstream = await TestUpstream.StartAsync();
        await using var proxy = await fixture.StartProxyAsync(new()
        {
            ["Upstream__BaseUrl"] = upstream.BaseUrl,
            ["Upstream__ApiKey"] = "k",
            ["Upstream__MaxRetries"] = "0",
            ["Upstream__BreakerFailures"] = "2",
            ["Upstream__BreakerSeconds"] = "60",
        }, ct);
        var (key, _) = ProxyFixture.NewSessionKey();
        using var http = For(proxy, key);

        for (var i = 0; i < 2; i++)
        {
            using var failing = await PostAsync(http, Message($"#sim error 500\n{i}"), ct);
            Assert.Equal(HttpStatusCode.InternalServerError, failing.StatusCode);
        }
        using var paused = await PostAsync(http, Message("fine now"), ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, paused.StatusCode);
        Assert.Equal("upstream_unavailable", (await JsonAsync(paused, ct))["code"]!.GetValue<string>());
        Assert.NotNull(paused.Headers.RetryAfter);
        Assert.Equal(2, upstream.Requests.Count);
    }

    [Fact]
    public async Task AnUnreachableUpstreamIsABadGatewayAfterTheRetries()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var proxy = await fixture.StartProxyAsync(new()
        {
            ["Upstream__BaseUrl"] = $"http://127.0.0.1:{AgentFleet.Testing.PortAllocator.GetFreePort()}",
            ["Upstream__ApiKey"] = "k",
            ["Upstream__RetryBaseDelayMs"] = "10",
        }, ct);
        var (key, _) = ProxyFixture.NewSessionKey();
        using var http = For(proxy, key);

        using var response = await PostAsync(http, Message("anyone there?"), ct);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var error = await JsonAsync(response, ct);
        Assert.Equal("upstream_unreachable", error["code"]!.GetValue<string>());
        Assert.Equal("api_error", error["error"]!["type"]!.GetValue<string>());
    }
}
