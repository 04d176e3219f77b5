using System.Net;
using AgentFleet.Gateway.Tests.Fixtures;
using AgentFleet.Testing;

namespace AgentFleet.Gateway.Tests;

public sealed class RateLimitTests(GatewayFixture fleet)
{
    // The default policy (100 requests), refilled over ten minutes rather than one so that no token comes back
    // while the test runs and the 101st request is refused however slow the machine.
    private static readonly Dictionary<string, string> DefaultLimit = new() { ["RateLimiting__Policies__default__Window"] = "00:10:00" };

    [Fact]
    public async Task The101stRequestIsRefusedWithRetryAfterAcrossTwoGatewaysSharingRedisAndLimitedLocallyWithoutIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await LocalServer.StartRedisAsync(ct);
        await using var first = await fleet.StartGatewayAsync(DefaultLimit, ct, redis.ConnectionString);
        await using var second = await fleet.StartGatewayAsync(DefaultLimit, ct, redis.ConnectionString);
        var (_, key) = await fleet.CreateKeyAsync("viewer", ct);
        using var one = fleet.Client(key, first);
        using var two = fleet.Client(key, second);

        for (var i = 0; i < 100; i++)
        {
            using var response = await (i % 2 == 0 ? one : two).GetAsync("/v1/keys/self", ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"request {i + 1}: {response.StatusCode}");
            Assert.Equal("100", response.Headers.GetValues("X-RateLimit-Limit").Single());
        }
        foreach (var gateway in (HttpClient[])[one, two])
        {
            using var refused = await gateway.GetAsync("/v1/keys/self", ct);
            var problem = await Problem.AssertAsync(refused, HttpStatusCode.TooManyRequests, "rate_limited");
            var retryAfter = refused.Headers.RetryAfter!.Delta!.Value;
            Assert.InRange(retryAfter.TotalSeconds, 1, 6);
            Assert.Equal((int)retryAfter.TotalSeconds, problem["retryAfterSeconds"]!.GetValue<int>());
        }

        // Per key: another caller is not held back by this one.
        var (_, otherKey) = await fleet.CreateKeyAsync("viewer", ct);
        using var other = fleet.Client(otherKey, first);
        using (var response = await other.GetAsync("/v1/keys/self", ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Redis gone: each gateway limits on its own rather than not at all.
        await redis.KillAsync();
        var (_, thirdKey) = await fleet.CreateKeyAsync("viewer", ct);
        using var local = fleet.Client(thirdKey, first);
        for (var i = 0; i < 100; i++)
        {
            using var response = await local.GetAsync("/v1/keys/self", ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"request {i + 1} without Redis: {response.StatusCode}");
        }
        await Problem.AssertAsync(await local.GetAsync("/v1/keys/self", ct), HttpStatusCode.TooManyRequests, "rate_limited");
        var metrics = await fleet.Client(null, first).GetStringAsync("/metrics", ct);
        Assert.Contains("gateway_rate_limit_local", metrics);
    }

    [Fact]
    public async Task ALargeLimitLeasedInBatchesStillHoldsAcrossTwoGateways()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await LocalServer.StartRedisAsync(ct);
        // 1,000 a day (so next to nothing refills while the test runs): each gateway takes ten tokens per Redis call and spends them itself.
        var bulk = new Dictionary<string, string>
        {
            ["RateLimiting__Policies__bulk__PermitLimit"] = "1000",
            ["RateLimiting__Policies__bulk__Window"] = "1.00:00:00",
            ["ReverseProxy__Routes__keys-self__RateLimiterPolicy"] = "bulk",
        };
        await using var first = await fleet.StartGatewayAsync(bulk, ct, redis.ConnectionString);
        await using var second = await fleet.StartGatewayAsync(bulk, ct, redis.ConnectionString);
        var (_, key) = await fleet.CreateKeyAsync("viewer", ct);
        using var one = fleet.Client(key, first);
        using var two = fleet.Client(key, second);

        var allowed = 0;
        for (var i = 0; i < 1100; i++)
        {
            using var response = await (i % 2 == 0 ? one : two).GetAsync("/v1/keys/self", ct);
            allowed += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"request {i + 1}: {response.StatusCode}");
        }
        // Never more than the limit; fewer only by tokens a lease held when it lapsed or the run ended.
        Assert.InRange(allowed, 960, 1000);
        // And Redis was asked about once per ten requests, not once per request.
        var evalCalls = await EvalShaCallsAsync(redis, ct);
        Assert.InRange(evalCalls, 1000 / 10, 1100 / 5);
    }

    private static async Task<long> EvalShaCallsAsync(LocalServer redis, CancellationToken ct)
    {
        var start = new System.Diagnostics.ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-p", redis.Port.ToString(), "--no-auth-warning", "-a", redis.Password, "INFO", "commandstats"])
        {
            start.ArgumentList.Add(argument);
        }
        using var process = System.Diagnostics.Process.Start(start)!;
        var info = await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        // cmdstat_evalsha:calls=N,usec=...
        var line = info.Split('\n').Single(l => l.StartsWith("cmdstat_evalsha:", StringComparison.Ordinal));
        return long.Parse(line.Split("calls=")[1].Split(',')[0]);
    }
}
