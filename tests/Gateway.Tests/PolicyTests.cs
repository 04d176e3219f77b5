using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AgentFleet.Gateway.Tests.Fixtures;
using Npgsql;

namespace AgentFleet.Gateway.Tests;

/// <summary>Per-route rate-limit policies, the per-IP bucket of unauthenticated routes, the loopback exemption, hop-by-hop headers, stored keys.</summary>
public sealed class PolicyTests(GatewayFixture fleet)
{
    // Three requests per ten minutes, for two routes: an unauthenticated one and the sessions reads.
    private static readonly Dictionary<string, string> Tight = new()
    {
        ["RateLimiting__Policies__tight__PermitLimit"] = "3",
        ["RateLimiting__Policies__tight__Window"] = "00:10:00",
        ["ReverseProxy__Routes__llm-health__RateLimiterPolicy"] = "tight",
        ["ReverseProxy__Routes__sessions-read__RateLimiterPolicy"] = "tight",
    };

    [Fact]
    public async Task ARoutesOwnPolicyLimitsByClientIpWithoutAKeyAndAnOpenStreamCountsOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await fleet.StartGatewayAsync(Tight, ct);
        using var anonymous = fleet.Client(null, gateway);
        for (var i = 0; i < 3; i++)
        {
            using var health = await anonymous.GetAsync("/llm/health", ct);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal("3", health.Headers.GetValues("X-RateLimit-Limit").Single());
        }
        await Problem.AssertAsync(await anonymous.GetAsync("/llm/health", ct), HttpStatusCode.TooManyRequests, "rate_limited");
        // Other routes keep the default policy.
        var (_, key) = await fleet.CreateKeyAsync("operator", ct);
        using var caller = fleet.Client(key, gateway);
        using (var created = await caller.PostAsJsonAsync("/v1/sessions", new { agent = "command", command = new[] { "sh", "-c", "for i in 1 2 3 4 5 6; do echo $i; sleep 0.2; done" }, task = "tick" }, ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
            var id = (await created.Content.ReadFromJsonAsync<JsonObject>(ct))!["sessionId"]!.GetValue<string>();

            // One SSE stream, read to its end over a second or more: one request of the three.
            using var stream = await caller.GetAsync($"/v1/sessions/{id}/events", HttpCompletionOption.ResponseHeadersRead, ct);
            Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
            Assert.Contains("agent:complete", await stream.Content.ReadAsStringAsync(ct));
            for (var i = 0; i < 2; i++)
            {
                using var read = await caller.GetAsync($"/v1/sessions/{id}", ct);
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            }
            await Problem.AssertAsync(await caller.GetAsync($"/v1/sessions/{id}", ct), HttpStatusCode.TooManyRequests, "rate_limited");
        }
    }

    [Fact]
    public async Task WithTheLoopbackExemptionLocalCallersAreNotLimited()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await fleet.StartGatewayAsync(new(Tight) { ["RateLimiting__ExemptLoopback"] = "true" }, ct);
        using var anonymous = fleet.Client(null, gateway);
        for (var i = 0; i < 6; i++)
        {
            using var health = await anonymous.GetAsync("/llm/health", ct);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
    }

    [Fact]
    public async Task HopByHopHeadersAndTheOnesConnectionNamesStopAtTheGateway()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, key) = await fleet.CreateKeyAsync("operator", ct);
        using var client = fleet.Client(key);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/test/headers");
        request.Headers.Connection.Add("X-Hop-Secret");
        request.Headers.TryAddWithoutValidation("X-Hop-Secret", "for the next hop only");
        request.Headers.TryAddWithoutValidation("Keep-Alive", "timeout=5");
        request.Headers.TryAddWithoutValidation("Proxy-Authorization", "Basic c2VjcmV0");
        request.Headers.TryAddWithoutValidation("X-End-To-End", "kept");
        using var response = await client.SendAsync(request, ct);
        var headers = (await response.Content.ReadFromJsonAsync<JsonObject>(ct))!["headers"]!.AsObject();
        Assert.Equal("kept", headers["x-end-to-end"]!.GetValue<string>());
        foreach (var name in (string[])["x-hop-secret", "keep-alive", "proxy-authorization", "te", "upgrade"])
        {
            Assert.False(headers.ContainsKey(name), $"{name} crossed the gateway");
        }
    }

    [Fact]
    public async Task AKeyIsStoredOnlyAsItsSha256()
    {
        var ct = TestContext.Current.CancellationToken;
        var (id, key) = await fleet.CreateKeyAsync("viewer", ct);
        await using var dataSource = NpgsqlDataSource.Create(fleet.Database);
        await using var command = dataSource.CreateCommand("SELECT row_to_json(k)::text, key_hash FROM api_keys k WHERE id = @id");
        command.Parameters.AddWithValue("id", Guid.Parse(id));
        await using var reader = await command.ExecuteReaderAsync(ct);
        Assert.True(await reader.ReadAsync(ct));
        Assert.DoesNotContain(key, reader.GetString(0));
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(key)), reader.GetFieldValue<byte[]>(1));
    }
}
