using System.Net;
using AgentFleet.Gateway.Tests.Fixtures;

namespace AgentFleet.Gateway.Tests;

/// <summary>Guessing keys costs the key service nothing after a client's first few failures.</summary>
public sealed class KeyGuessingTests(GatewayFixture fleet)
{
    [Fact]
    public async Task AfterTenInvalidKeysAClientIsRefusedWith429BeforeAnyLookupWhileOthersAreNot()
    {
        var ct = TestContext.Current.CancellationToken;
        // Ten failures per ten minutes, so nothing refills while the test runs; the valid key stays cached throughout.
        await using var gateway = await fleet.StartGatewayAsync(new()
        {
            ["Gateway__FailedKeyLimit"] = "10", ["Gateway__FailedKeyWindow"] = "00:10:00", ["Gateway__KeyCacheSeconds"] = "600",
        }, ct);
        var (_, valid) = await fleet.CreateKeyAsync("viewer", ct);
        // Looked up once, while the client's allowance is whole: cached from then on.
        using (var known = fleet.Client(valid, gateway))
        {
            using var ok = await known.GetAsync("/v1/keys/self", ct);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 40; i++)
        {
            using var guesser = fleet.Client($"fleet_guess{Guid.NewGuid():N}", gateway);
            using var response = await guesser.GetAsync("/v1/keys/self", ct);
            answers.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var problem = await Problem.AssertAsync(response, HttpStatusCode.TooManyRequests, "rate_limited");
                Assert.False(string.IsNullOrEmpty(problem["type"]?.GetValue<string>()), problem.ToJsonString());
                Assert.InRange(response.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 600);
            }
        }
        Assert.All(answers.Take(10), a => Assert.Equal(HttpStatusCode.Forbidden, a));
        Assert.All(answers.Skip(10), a => Assert.Equal(HttpStatusCode.TooManyRequests, a));

        // The refusals were decided before a lookup, and say so on /metrics.
        using var scraper = new HttpClient();
        var text = await scraper.GetStringAsync($"{gateway.HttpUrl}/metrics", ct);
        var throttled = text.Split('\n').Single(l => l.StartsWith("gateway_auth_failures_total{") && l.Contains("reason=\"throttled\""));
        Assert.Equal("30", throttled.Split(' ')[^1]);
        // A key already known keeps working from that client.
        using var stillKnown = fleet.Client(valid, gateway);
        using var again = await stillKnown.GetAsync("/v1/keys/self", ct);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }
}
