extern alias management;

using System.Collections.Concurrent;
using AgentFleet.Testing;
using AgentFleet.SessionRunner.Contracts;
using AgentFleet.SessionRunner.Infrastructure;
using StackExchange.Redis;
using SessionEventFeed = management::AgentFleet.ManagementApi.Infrastructure.SessionEventFeed;
using StreamedEvent = management::AgentFleet.ManagementApi.Services.StreamedEvent;

namespace AgentFleet.Sessions.Tests;

/// <summary>The seam between SessionRunner (publishes each persisted batch) and ManagementApi (streams them live), over a real Redis.</summary>
public sealed class LiveEventChannelTests
{
    [Fact]
    public async Task BatchesTheRunnerPublishesReachTheLiveFeedAsEventsInSequenceOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var channelEnds = await ChannelEnds.StartAsync(ct);
        var (runnerClient, publisher, feed) = (channelEnds.Runner, channelEnds.Publisher, channelEnds.Feed);
        var sessionId = Guid.NewGuid().ToString();
        var received = new ConcurrentQueue<long>();
        var all = new TaskCompletionSource();
        await using var subscription = await feed.SubscribeAsync(sessionId, e =>
        {
            Assert.Equal(sessionId, e.Event.SessionId);
            received.Enqueue(e.Sequence);
            if (received.Count == 6)
            {
                all.TrySetResult();
            }
        }, ct);

        Assert.Equal(1, await publisher.PublishAsync(sessionId, Events(sessionId, 1, 2, 3), ct));
        Assert.Equal(1, await publisher.PublishAsync(sessionId, Events(sessionId, 5, 4), ct));
        Assert.Equal(1, await publisher.PublishAsync(sessionId, Events(sessionId, 6), ct));
        Assert.Equal(0, await publisher.PublishAsync(Guid.NewGuid().ToString(), Events("other", 1), ct));

        await all.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal([1L, 2, 3, 4, 5, 6], received);
    }

    [Fact]
    public async Task ManyWatchersOfOneSessionShareOneRedisSubscriptionAndEachGetsEveryEvent()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var channelEnds = await ChannelEnds.StartAsync(ct);
        var (runnerClient, publisher, feed) = (channelEnds.Runner, channelEnds.Publisher, channelEnds.Feed);
        var sessionId = Guid.NewGuid().ToString();
        var channel = SessionEventChannel.For(sessionId);
        var watchers = Enumerable.Range(0, 3).Select(_ => (Received: new ConcurrentQueue<StreamedEvent>(), Done: new TaskCompletionSource())).ToList();
        var subscriptions = new List<IAsyncDisposable>();
        foreach (var (received, done) in watchers)
        {
            subscriptions.Add(await feed.SubscribeAsync(sessionId, e =>
            {
                received.Enqueue(e);
                if (received.Count == 3)
                {
                    done.TrySetResult();
                }
            }, ct));
        }

        Assert.Equal(1, await SubscribersAsync(runnerClient, channel));
        await publisher.PublishAsync(sessionId, Events(sessionId, 1, 2, 3), ct);
        await Task.WhenAll(watchers.Select(w => w.Done.Task)).WaitAsync(TimeSpan.FromSeconds(10), ct);
        foreach (var (received, _) in watchers)
        {
            Assert.Equal([1L, 2, 3], received.Select(e => e.Sequence));
            Assert.Contains("\"content\":\"token 2\"", System.Text.Encoding.UTF8.GetString(received.ElementAt(1).Sse));
        }

        // The last watcher to leave closes the Redis subscription; a later one opens it again.
        await subscriptions[0].DisposeAsync();
        Assert.Equal(1, await SubscribersAsync(runnerClient, channel));
        foreach (var subscription in subscriptions.Skip(1))
        {
            await subscription.DisposeAsync();
        }
        Assert.Equal(0, await SubscribersAsync(runnerClient, channel));
        var again = new TaskCompletionSource<long>();
        await using (await feed.SubscribeAsync(sessionId, e => again.TrySetResult(e.Sequence), ct))
        {
            await publisher.PublishAsync(sessionId, Events(sessionId, 4), ct);
            Assert.Equal(4, await again.Task.WaitAsync(TimeSpan.FromSeconds(10), ct));
        }
    }

    /// <summary>A Redis of the test's own, with the runner's publisher and ManagementApi's feed on separate connections, as in production.</summary>
    private sealed class ChannelEnds(LocalServer redis, ConnectionMultiplexer runner, ConnectionMultiplexer api) : IAsyncDisposable
    {
        public ConnectionMultiplexer Runner => runner;

        public SessionEventPublisher Publisher { get; } = new(runner);

        public SessionEventFeed Feed { get; } = new(api);

        public static async Task<ChannelEnds> StartAsync(CancellationToken ct)
        {
            var redis = await LocalServer.StartRedisAsync(ct);
            return new ChannelEnds(redis, await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString), await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString));
        }

        public async ValueTask DisposeAsync()
        {
            await api.DisposeAsync();
            await runner.DisposeAsync();
            await redis.DisposeAsync();
        }
    }

    private static async Task<long> SubscribersAsync(ConnectionMultiplexer redis, string channel) =>
        await redis.GetServers()[0].SubscriptionSubscriberCountAsync(RedisChannel.Literal(channel));

    private static List<SessionEvent> Events(string sessionId, params long[] sequences) =>
        [.. sequences.Select(s => new SessionEvent { Id = Guid.NewGuid().ToString(), SessionId = sessionId, Sequence = s, Type = "text", Role = "assistant", Content = $"token {s}", CreatedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow) })];
}
