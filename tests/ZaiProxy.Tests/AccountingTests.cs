using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using AgentFleet.ZaiProxy.Contracts;
using AgentFleet.ZaiProxy.Tests.Fixtures;
using static AgentFleet.ZaiProxy.Tests.Fixtures.ProxyClient;

namespace AgentFleet.ZaiProxy.Tests;

/// <summary>Every call's tokens and cost, as the upstream reported them, in usage_records and through GetUsage.</summary>
public sealed class AccountingTests(ProxyFixture fixture)
{
    [Fact]
    public async Task UsageRowsMatchWhatTheUpstreamReportedForStreamedAndWholeReplies()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, sessionId) = ProxyFixture.NewSessionKey();
        using var http = For(fixture.Relayed, key);
        long input = 0, output = 0;

        using (var whole = await PostAsync(http, Message("#sim tokens 7"), ct))
        {
            var usage = (await JsonAsync(whole, ct))["usage"]!;
            input += usage["input_tokens"]!.GetValue<long>();
            output += usage["output_tokens"]!.GetValue<long>();
        }
        using (var streamed = await PostAsync(http, Message("#sim tokens 12", stream: true), ct))
        {
            var events = await EventsAsync(streamed, ct);
            input += events.Single(e => e.Name == "message_start").Data["message"]!["usage"]!["input_tokens"]!.GetValue<long>();
            output += events.Single(e => e.Name == "message_delta").Data["usage"]!["output_tokens"]!.GetValue<long>();
        }
        Assert.Equal(19, output);

        var rows = await fixture.UsageRowsAsync(sessionId, expected: 2, ct);
        Assert.Equal(input, rows.Sum(r => r.Input));
        Assert.Equal(output, rows.Sum(r => r.Output));
        Assert.All(rows, r =>
        {
            Assert.Equal($"session:{sessionId}", r.KeyId);
            Assert.Equal("claude-sonnet-4-5", r.Model);
            // Sonnet: $3 per million input tokens, $15 per million output tokens (appsettings.json).
            Assert.Equal((r.Input * 3m + r.Output * 15m) / 1_000_000m, r.Cost);
        });

        using var channel = fixture.RelayedChannel();
        var summary = await new ZaiProxyGrpc.ZaiProxyClient(channel).GetUsageAsync(new UsageQuery { SessionId = sessionId.ToString() }, new CallOptions(cancellationToken: ct));
        Assert.Equal(2, summary.Calls);
        Assert.Equal(input, summary.InputTokens);
        Assert.Equal(output, summary.OutputTokens);
        Assert.Equal((double)rows.Sum(r => r.Cost), summary.CostUsd, 8);
        Assert.Equal("claude-sonnet-4-5", Assert.Single(summary.ByModel).Model);
        var none = await new ZaiProxyGrpc.ZaiProxyClient(channel).GetUsageAsync(new UsageQuery { SessionId = Guid.NewGuid().ToString() }, new CallOptions(cancellationToken: ct));
        Assert.Equal(0, none.Calls);
    }

    [Fact]
    public async Task ChatAnswersWithTheReplyItsTokensAndItsCost()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, sessionId) = ProxyFixture.NewSessionKey();
        using var http = For(fixture.Simulated, key);

        using var response = await http.PostAsJsonAsync("/chat", new { prompt = "summarize this page", maxTokens = 100 }, ct);
        var chat = await JsonAsync(response, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("You said: summarize this page", chat["response"]!.GetValue<string>());
        Assert.Equal(5, chat["tokens"]!["output"]!.GetValue<long>());
        Assert.True(chat["tokens"]!["input"]!.GetValue<long>() > 0);
        Assert.True(chat["cost"]!.GetValue<decimal>() > 0);
        Assert.Single(await fixture.UsageRowsAsync(sessionId, expected: 1, ct));

        var metrics = await http.GetStringAsync("/metrics", ct);
        foreach (var series in new[] { "zai_proxy_queue_length ", "zai_proxy_workers_busy ", "zai_proxy_tokens_total{kind=\"output\",model=\"claude-sonnet-4-5\"} ",
            "zai_proxy_cost_total{model=\"claude-sonnet-4-5\"} ", "zai_proxy_upstream_duration_seconds_count{outcome=\"200\"} " })
        {
            Assert.Contains(series, metrics);
        }
    }

    [Fact]
    public async Task ChatRefusesBadInputWithValidationProblems()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, _) = ProxyFixture.NewSessionKey();
        using var http = For(fixture.Simulated, key);

        foreach (var body in new object[] { new { prompt = "" }, new { prompt = "x", timeout = -1 }, new { prompt = "x", maxTokens = 0 } })
        {
            using var response = await http.PostAsJsonAsync("/chat", body, ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("validation_failed", (await JsonAsync(response, ct))["code"]!.GetValue<string>());
        }
        using var anonymous = For(fixture.Simulated);
        using var refused = await anonymous.PostAsJsonAsync("/chat", new { prompt = "x" }, ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task ChatWithEveryWorkerBusyAndNoRoomToWaitIs429WithRetryAfter()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var proxy = await fixture.StartProxyAsync(new() { ["Upstream__Simulated"] = "true", ["Pool__Size"] = "1", ["Pool__MaxQueue"] = "0" }, ct);
        var (key, _) = ProxyFixture.NewSessionKey();
        using var http = For(proxy, key);
        // The only worker is held for a couple of seconds by the first call.
        var busy = http.PostAsJsonAsync("/chat", new { prompt = "#sim delay 200\n#sim tokens 10" }, ct);
        await Task.Delay(500, ct);

        using var refused = await http.PostAsJsonAsync("/chat", new { prompt = "hello" }, ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta?.TotalSeconds >= 1, refused.Headers.ToString());
        var problem = await JsonAsync(refused, ct);
        Assert.Equal("queue_full", problem["code"]!.GetValue<string>());
        Assert.True(problem["retryAfterSeconds"]!.GetValue<int>() >= 1);
        using var done = await busy;
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
    }

    [Fact]
    public async Task HealthReportsWorkersQueueAndUptime()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = For(fixture.Simulated);

        var health = (await http.GetFromJsonAsync<JsonObject>("/health", ct))!;

        Assert.Equal("Healthy", health["status"]!.GetValue<string>());
        Assert.Equal(4, health["workers"]!["size"]!.GetValue<int>());
        // The pool and its queue are this replica's own, and /health says so.
        Assert.Equal("replica", health["workers"]!["scope"]!.GetValue<string>());
        Assert.Equal(Environment.MachineName, health["workers"]!["replica"]!.GetValue<string>());
        Assert.Equal("replica", health["queue"]!["scope"]!.GetValue<string>());
        Assert.Equal(50, health["queue"]!["max"]!.GetValue<int>());
        Assert.Equal(0, health["queue"]!["length"]!.GetValue<int>());
        Assert.True(health["uptime"]!.GetValue<double>() > 0);
    }
}
