using AgentFleet.SessionRunner.Contracts;
using Google.Protobuf;
using StackExchange.Redis;

namespace AgentFleet.SessionRunner.Infrastructure;

/// <summary>
/// Publishes a session's events to Redis, one message per persisted batch, in sequence order. Called only
/// after the batch is in PostgreSQL, so a subscriber that misses a message finds it in the history.
/// </summary>
public sealed class SessionEventPublisher(IConnectionMultiplexer redis)
{
    /// <summary>Returns how many live subscribers received the batch.</summary>
    public async ValueTask<long> PublishAsync(string sessionId, IReadOnlyList<SessionEvent> events, CancellationToken cancellationToken = default)
    {
        var batch = new SessionEventBatch();
        batch.Events.AddRange(events.OrderBy(e => e.Sequence));
        return await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(SessionEventChannel.For(sessionId)), batch.ToByteArray()).WaitAsync(cancellationToken);
    }
}
