using System.Net;
using System.Text.Json;
using AgentFleet.Testing;
using AgentFleet.ServiceDefaults.Tests.Fixtures;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AgentFleet.ServiceDefaults.Tests;

/// <summary>Functional: ManagementApi hosted with its real PostgreSQL and Redis dependencies.</summary>
public sealed class HealthEndpointTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task HealthAndReadyReportEveryDependencyWithStatusAndDurationAsJson()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = ManagementApi(await infrastructure.CreateDatabaseAsync(ct), infrastructure.Redis.ConnectionString);
        using var client = factory.CreateClient();

        foreach (var path in new[] { "/health", "/ready" })
        {
            using var response = await client.GetAsync(path, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
            var checks = body.RootElement.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
            Assert.Equal(["postgres:fleetdb", "redis:redis", "self"], checks.Keys.Order());
            Assert.All(checks.Values, check =>
            {
                Assert.Equal("Healthy", check.GetProperty("status").GetString());
                Assert.True(check.GetProperty("durationMs").GetDouble() >= 0);
            });
        }
    }

    [Fact]
    public async Task AliveAnswersWhileAnUnreachableRedisMakesTheServiceUnready()
    {
        var ct = TestContext.Current.CancellationToken;
        var nobodyListens = $"127.0.0.1:{PortAllocator.GetFreePort()},password=irrelevant";
        await using var factory = ManagementApi(await infrastructure.CreateDatabaseAsync(ct), nobodyListens);
        using var client = factory.CreateClient();

        using var alive = await client.GetAsync("/alive", ct);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        using var aliveBody = JsonDocument.Parse(await alive.Content.ReadAsStringAsync(ct));
        Assert.Equal(["self"], aliveBody.RootElement.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()));

        using var health = await client.GetAsync("/health", ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var text = await health.Content.ReadAsStringAsync(ct);
        using var body = JsonDocument.Parse(text);
        var redis = body.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "redis:redis");
        Assert.Equal("Unhealthy", redis.GetProperty("status").GetString());
        Assert.Equal("Redis is unreachable", redis.GetProperty("description").GetString());
        Assert.DoesNotContain("irrelevant", text);
        Assert.DoesNotContain("Exception", text);
    }

    private static WebApplicationFactory<Program> ManagementApi(string database, string redis) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ConnectionStrings:fleetdb", database);
            web.UseSetting("ConnectionStrings:redis", redis);
        });
}
