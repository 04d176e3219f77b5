using System.Collections.Concurrent;
using System.Text;
using AgentFleet.Redis.Connection;
using AgentFleet.Redis.Tests.Fixtures;

namespace AgentFleet.Redis.Tests;

public sealed class PubSubTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task MessagesArriveInTheOrderTheyWerePublished()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await RedisClient.ConnectAsync(redis.Server.ConnectionString, ct);
        var channel = RedisServerFixture.Key("session") + ":events";
        var received = new ConcurrentQueue<int>();
        var all = new TaskCompletionSource();
        await using var subscription = await client.SubscribeAsync(channel, message =>
        {
            received.Enqueue(int.Parse(message.Text));
            if (received.Count == 1000)
            {
                all.TrySetResult();
            }
            return Task.CompletedTask;
        }, ct);

        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(1, await client.PublishAsync(channel, Encoding.UTF8.GetBytes(i.ToString()), ct));
        }

        await all.Task.WaitAsync(TimeSpan.FromSeconds(20), ct);
        Assert.Equal(Enumerable.Range(0, 1000), received);
    }

    [Fact]
    public async Task APatternSubscriptionSeesEveryMatchingChannelAndASlowHandlerHoldsUpNoOne()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await RedisClient.ConnectAsync(redis.Server.ConnectionString, ct);
        var prefix = RedisServerFixture.Key("fleet");
        var seen = new ConcurrentQueue<RedisMessage>();
        var fast = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        await using var slow = await client.SubscribeAsync($"{prefix}:a", _ => release.Task, ct);
        await using var pattern = await client.PSubscribeAsync($"{prefix}:*", message =>
        {
            seen.Enqueue(message);
            if (seen.Count == 2)
            {
                fast.TrySetResult();
            }
            return Task.CompletedTask;
        }, ct);

        await client.PublishAsync($"{prefix}:a", "1"u8.ToArray(), ct);
        await client.PublishAsync($"{prefix}:b", "2"u8.ToArray(), ct);

        await fast.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal([$"{prefix}:a", $"{prefix}:b"], seen.Select(m => m.Channel));
        Assert.All(seen, m => Assert.Equal($"{prefix}:*", m.Pattern));
        release.SetResult();
    }

    [Fact]
    public async Task AfterUnsubscribingNoMoreMessagesArrive()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var client = await RedisClient.ConnectAsync(redis.Server.ConnectionString, ct);
        var channel = RedisServerFixture.Key("gone");
        var subscription = await client.SubscribeAsync(channel, _ => Task.CompletedTask, ct);

        await subscription.DisposeAsync();

        Assert.Equal(0, await client.PublishAsync(channel, "x"u8.ToArray(), ct));
    }
}
