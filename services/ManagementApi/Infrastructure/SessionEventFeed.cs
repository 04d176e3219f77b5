using AgentFleet.Redis;
using AgentFleet.SessionRunner.Contracts;

namespace AgentFleet.ManagementApi.Infrastructure;

/// <summary>The live side of a session stream: the event batches SessionRunner publishes, one event at a time, in order.</summary>
public sealed class SessionEventFeed(IRedisClient redis)
{
    /// <summary>Calls <paramref name="onEvent"/> for each live event until the returned subscription is disposed.</summary>
    public Task<IAsyncDisposable> SubscribeAsync(string sessionId, Func<SessionEvent, Task> onEvent, CancellationToken cancellationToken = default) =>
        redis.SubscribeAsync(SessionRunnerGrpc.EventChannel(sessionId), async message =>
        {
            foreach (var sessionEvent in SessionEventBatch.Parser.ParseFrom(message.Payload).Events)
            {
                await onEvent(sessionEvent);
            }
        }, cancellationToken);
}
