using AgentFleet.ServiceDefaults.Security;
using AgentFleet.Testing;
using AgentFleet.ZaiProxy.Accounting;
using AgentFleet.ZaiProxy.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StackExchange.Redis;

namespace AgentFleet.ZaiProxy.Tests;

/// <summary>The shared spend counters against a real Redis and the fixture's database, without a proxy in between.</summary>
public sealed class SpendCounterTests(ProxyFixture fixture)
{
    [Fact]
    public async Task ACounterIsSeededOnceFromTheStoredSpendAndTakesOnlyTheCallsPricedAfterIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await LocalServer.StartRedisAsync(ct);
        await using var client = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var counters = new SpendCounters(client, NullLogger<SpendCounters>.Instance);
        var key = SessionSpend.CounterKey(Guid.NewGuid());

        // Priced before anyone read it: its row will be in the stored sum, so the counter must not exist to take it.
        await counters.AddAsync([key], 0.25m);
        Assert.False(await client.GetDatabase().KeyExistsAsync(key));

        Assert.Equal(1.5m, await counters.ReadAsync(key, () => Task.FromResult(1.5m), ct));
        // A second replica seeding at the same time keeps the first seed, increments included.
        await counters.AddAsync([key], 0.000000001m);
        Assert.Equal(1.500000001m, await counters.ReadAsync(key, () => Task.FromResult(9m), ct));
        Assert.InRange(await client.GetDatabase().KeyTimeToLiveAsync(key) ?? TimeSpan.Zero, TimeSpan.FromMinutes(59), SpendCounters.IdleExpiry);
    }

    [Fact]
    public async Task AnApiKeysMonthlySpendStartsAgainWithTheMonthWhileItsTotalGoesOn()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await LocalServer.StartRedisAsync(ct);
        await using var client = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        await using var database = NpgsqlDataSource.Create(fixture.DatabaseConnectionString);
        var time = new ManualTime(new DateTimeOffset(2031, 1, 31, 23, 59, 0, TimeSpan.Zero));
        var spend = new KeySpend(database, new SpendCounters(client, NullLogger<SpendCounters>.Instance), time);
        var keyId = $"key-{Guid.NewGuid():N}";
        var monthly = new PayingKey(keyId, 1m, Monthly: true);
        var total = new PayingKey(keyId, 1m, Monthly: false);

        Assert.Equal(0m, await spend.SpentAsync(monthly, ct));
        Assert.Equal(0m, await spend.SpentAsync(total, ct));
        await spend.AddAsync(keyId, 0.4m);
        Assert.Equal(0.4m, await spend.SpentAsync(monthly, ct));

        time.Now = time.Now.AddMinutes(2);
        Assert.Equal(0m, await spend.SpentAsync(monthly, ct));
        await spend.AddAsync(keyId, 0.1m);
        Assert.Equal(0.1m, await spend.SpentAsync(monthly, ct));
        Assert.Equal(0.5m, await spend.SpentAsync(total, ct));
        Assert.True(await client.GetDatabase().KeyExistsAsync(KeySpend.CounterKey(keyId, new DateTimeOffset(2031, 2, 1, 0, 0, 0, TimeSpan.Zero))));
    }

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
