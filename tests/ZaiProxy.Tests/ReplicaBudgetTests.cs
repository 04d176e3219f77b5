using System.Net;
using System.Net.Http.Json;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.Testing;
using AgentFleet.ZaiProxy.Accounting;
using AgentFleet.ZaiProxy.Tests.Fixtures;
using StackExchange.Redis;
using static AgentFleet.ZaiProxy.Tests.Fixtures.ProxyClient;

namespace AgentFleet.ZaiProxy.Tests;

/// <summary>
/// Two ZaiProxy replicas over one database and one Redis, as Kubernetes runs them: a budget counts the calls of both.
/// Each replica alone would see only the stored spend it read once plus its own calls, and let the call after the
/// budget through (every assertion of a 402 below fails that way).
/// </summary>
public sealed class ReplicaBudgetTests(ProxyFixture fixture)
{
    [Fact]
    public async Task ASessionThatSpentItsBudgetAcrossTwoReplicasIsRefusedByEither()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await LocalServer.StartRedisAsync(ct);
        await using var a = await StartReplicaAsync(redis, ct);
        await using var b = await StartReplicaAsync(redis, ct);
        var cost = await CallCostAsync(a, ct);
        // Three calls' worth is past it; two replicas counting alone would see two calls at most.
        var (key, _) = ProxyFixture.NewSessionKey(budgetUsd: cost * 2.5m);

        foreach (var replica in new[] { a, b, a })
        {
            using var call = await ChatAsync(replica, key, ct);
            Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        }

        await AssertRefusedAsync(b, key, ct);
        await AssertRefusedAsync(a, key, ct);
    }

    [Fact]
    public async Task AnApiKeyThatSpentItsBudgetAcrossTwoReplicasHasItsSessionsRefusedByEither()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await LocalServer.StartRedisAsync(ct);
        await using var a = await StartReplicaAsync(redis, ct);
        await using var b = await StartReplicaAsync(redis, ct);
        var cost = await CallCostAsync(a, ct);
        var payer = new PayingKey($"key-{Guid.NewGuid():N}", cost * 2.5m, Monthly: true);

        // A session per call, as an owner starting several agents would.
        foreach (var replica in new[] { a, b, a })
        {
            using var call = await ChatAsync(replica, ProxyFixture.NewSessionKey(payer: payer).Key, ct);
            Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        }

        await AssertRefusedAsync(b, ProxyFixture.NewSessionKey(payer: payer).Key, ct);
        await AssertRefusedAsync(a, ProxyFixture.NewSessionKey(payer: payer).Key, ct);
    }

    [Fact]
    public async Task ModelCallsGoOnWhileRedisIsStoppedAndBudgetsAreSharedAgainOnceItIsBack()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await LocalServer.StartRedisAsync(ct);
        await using var proxy = await StartReplicaAsync(redis, ct);
        var cost = await CallCostAsync(proxy, ct);
        var (key, sessionId) = ProxyFixture.NewSessionKey(budgetUsd: cost * 1.5m);
        using (var first = await ChatAsync(proxy, key, ct))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        Assert.Single(await fixture.UsageRowsAsync(sessionId, expected: 1, ct));

        await redis.KillAsync();
        using (var second = await ChatAsync(proxy, key, ct))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }
        // Counted by the replica alone meanwhile: the stored call and its own.
        await AssertRefusedAsync(proxy, key, ct);
        Assert.Contains("Redis does not answer", proxy.Output);
        using var http = For(proxy);
        using (var health = await http.GetAsync("/health", ct))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal("Degraded", (await JsonAsync(health, ct))["status"]!.GetValue<string>());
        }

        // Redis comes back empty: the counter is seeded again from both stored calls.
        await redis.RestartAsync(ct);
        await WaitAsync(async () =>
        {
            using var health = await http.GetAsync("/health", ct);
            return (await JsonAsync(health, ct))["status"]!.GetValue<string>() == "Healthy";
        }, ct);
        var rows = await fixture.UsageRowsAsync(sessionId, expected: 2, ct);
        Assert.Equal(2, rows.Count);
        await AssertRefusedAsync(proxy, key, ct);
        await using var client = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var counted = (long)await client.GetDatabase().StringGetAsync(SessionSpend.CounterKey(sessionId));
        Assert.Equal(SpendCounters.ToNanos(rows.Sum(row => row.Cost)), counted);
    }

    private Task<ServiceProcess> StartReplicaAsync(LocalServer redis, CancellationToken ct) =>
        fixture.StartProxyAsync(new() { ["Upstream__Simulated"] = "true", ["ConnectionStrings__redis"] = redis.ConnectionString }, ct);

    private static async Task<HttpResponseMessage> ChatAsync(ServiceProcess replica, string key, CancellationToken ct)
    {
        using var http = For(replica, key);
        return await http.PostAsJsonAsync("/chat", new { prompt = "what does this cost", maxTokens = 100 }, ct);
    }

    /// <summary>What one of the tests' calls costs, from an unbudgeted session's.</summary>
    private static async Task<decimal> CallCostAsync(ServiceProcess replica, CancellationToken ct)
    {
        using var call = await ChatAsync(replica, ProxyFixture.NewSessionKey().Key, ct);
        var cost = (await JsonAsync(call, ct))["cost"]!.GetValue<decimal>();
        Assert.True(cost > 0.00001m, $"a call costs {cost}");
        return cost;
    }

    private static async Task AssertRefusedAsync(ServiceProcess replica, string key, CancellationToken ct)
    {
        using var refused = await ChatAsync(replica, key, ct);
        Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
        Assert.Equal("budget_exceeded", (await JsonAsync(refused, ct))["code"]!.GetValue<string>());
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 30 s");
            await Task.Delay(100, ct);
        }
    }
}
