using System.Collections.Concurrent;
using System.Diagnostics;
using AgentFleet.Hosting.Testing;
using AgentFleet.Redis.Connection;

namespace AgentFleet.Redis.Tests;

/// <summary>A server that dies mid-traffic and comes back, with a durable append-only file so its count survives.</summary>
public sealed class RecoveryTests
{
    [Fact]
    public async Task AKilledServerIsReconnectedToSubscriptionsResumeAndNothingRunsTwice()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await LocalServer.StartRedisAsync(ct, durable: true);
        var options = RedisOptions.Parse(server.ConnectionString) with { ReconnectBaseDelay = TimeSpan.FromMilliseconds(50), ReconnectMaxDelay = TimeSpan.FromMilliseconds(500) };
        await using var client = await RedisClient.ConnectAsync(options, ct);
        var received = new ConcurrentQueue<string>();
        await using var subscription = await client.SubscribeAsync("events", m => { received.Enqueue(m.Text); return Task.CompletedTask; }, ct);

        var succeeded = 0;
        var connectionFailures = 0;
        var otherFailures = new ConcurrentQueue<Exception>();
        using var stop = new CancellationTokenSource();
        var traffic = Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await client.IncrementAsync("counter", cancellationToken: CancellationToken.None);
                    Interlocked.Increment(ref succeeded);
                }
                catch (RedisConnectionException)
                {
                    Interlocked.Increment(ref connectionFailures);
                    await Task.Delay(5, CancellationToken.None);
                }
                catch (Exception ex)
                {
                    otherFailures.Enqueue(ex);
                }
            }
        }, CancellationToken.None)).ToList();

        await WaitUntilAsync(() => Volatile.Read(ref succeeded) > 500, ct);
        await server.KillAsync();
        await WaitUntilAsync(() => Volatile.Read(ref connectionFailures) > 0, ct);
        await server.RestartAsync(ct);
        var afterRestart = Volatile.Read(ref succeeded);
        await WaitUntilAsync(() => Volatile.Read(ref succeeded) > afterRestart + 500, ct);
        await stop.CancelAsync();
        await Task.WhenAll(traffic);

        // Every acknowledged INCR is on disk; an in-flight one may or may not have run, but none ran twice.
        var counter = long.Parse((await client.ExecuteAsync("GET", "counter")).AsString()!);
        Assert.InRange(counter, succeeded, succeeded + connectionFailures);
        Assert.Empty(otherFailures);

        await WaitUntilAsync(() => client.PublishAsync("events", "after restart"u8.ToArray(), ct).AsTask().Result == 1, ct);
        await WaitUntilAsync(() => received.Contains("after restart"), ct);
    }

    [Fact]
    public async Task ACommandWhileDisconnectedFailsFastOrWaitsForTheConnectionAsConfigured()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await LocalServer.StartRedisAsync(ct);
        await using var failFast = await RedisClient.ConnectAsync(RedisOptions.Parse(server.ConnectionString) with { ReconnectBaseDelay = TimeSpan.FromMilliseconds(50) }, ct);
        await using var patient = await RedisClient.ConnectAsync(RedisOptions.Parse(server.ConnectionString) with { ReconnectBaseDelay = TimeSpan.FromMilliseconds(50), ReconnectWait = TimeSpan.FromSeconds(30) }, ct);

        await server.KillAsync();
        await WaitUntilAsync(() => !failFast.IsConnected && !patient.IsConnected, ct);

        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAsync<RedisConnectionException>(() => failFast.PingAsync(ct).AsTask());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), "failing fast should not wait");

        var waiting = patient.PingAsync(ct).AsTask();
        await server.RestartAsync(ct);
        Assert.Equal("PONG", await waiting);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s");
            await Task.Delay(20, ct);
        }
    }
}
