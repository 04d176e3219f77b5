extern alias management;

using System.Collections.Concurrent;
using AgentFleet.Hosting.Testing;
using AgentFleet.Redis;
using AgentFleet.SessionRunner.Contracts;
using AgentFleet.SessionRunner.Infrastructure;
using SessionEventFeed = management::AgentFleet.ManagementApi.Infrastructure.SessionEventFeed;

namespace AgentFleet.Sessions.Tests;

/// <summary>The seam between SessionRunner (publishes each persisted batch) and ManagementApi (streams them live), over a real Redis.</summary>
public sealed class LiveEventChannelTests
{
    [Fact]
    public async Task BatchesTheRunnerPublishesReachTheLiveFeedAsEventsInSequenceOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await LocalServer.StartRedisAsync(ct);
        await using var runnerClient = await RedisClient.ConnectAsync(redis.ConnectionString, ct);
        await using var apiClient = await RedisClient.ConnectAsync(redis.ConnectionString, ct);
        var publisher = new SessionEventPublisher(runnerClient);
        var feed = new SessionEventFeed(apiClient);
        var sessionId = Guid.NewGuid().ToString();
        var received = new ConcurrentQueue<long>();
        var all = new TaskCompletionSource();
        await using var subscription = await feed.SubscribeAsync(sessionId, e =>
        {
            Assert.Equal(sessionId, e.SessionId);
            received.Enqueue(e.Sequence);
            if (received.Count == 6)
            {
                all.TrySetResult();
            }
            return Task.CompletedTask;
        }, ct);

        Assert.Equal(1, await publisher.PublishAsync(sessionId, Events(sessionId, 1, 2, 3), ct));
        Assert.Equal(1, await publisher.PublishAsync(sessionId, Events(sessionId, 5, 4), ct));
        Assert.Equal(1, await publisher.PublishAsync(sessionId, Events(sessionId, 6), ct));
        Assert.Equal(0, await publisher.PublishAsync(Guid.NewGuid().ToString(), Events("other", 1), ct));

        await all.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal([1L, 2, 3, 4, 5, 6], received);
    }

    private static List<SessionEvent> Events(string sessionId, params long[] sequences) =>
        [.. sequences.Select(s => new SessionEvent { Id = Guid.NewGuid().ToString(), SessionId = sessionId, Sequence = s, Type = "text", Role = "assistant", Content = $"token {s}" })];
}
