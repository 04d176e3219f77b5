using AgentFleet.ManagementApi.Services;
using AgentFleet.SessionRunner.Contracts;
using StackExchange.Redis;

namespace AgentFleet.ManagementApi.Infrastructure;

/// <summary>
/// The live side of session streams: the event batches SessionRunner publishes to Redis. However many clients
/// of this process watch one session, there is one Redis subscription for it; each batch is parsed once and
/// each event rendered once (<see cref="StreamedEvent"/>), then handed to every watcher in order.
/// </summary>
public sealed class SessionEventFeed(IConnectionMultiplexer redis)
{
    private readonly Dictionary<string, Topic> _topics = [];
    // Held only while a session's first watcher subscribes or its last one leaves, never while events flow.
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Calls <paramref name="onEvent"/> for each live event until the returned subscription is disposed; the callback must not block.</summary>
    public async Task<IAsyncDisposable> SubscribeAsync(string sessionId, Action<StreamedEvent> onEvent, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_topics.TryGetValue(sessionId, out var topic))
            {
                var created = new Topic();
                var subscribing = redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(Channel(sessionId)));
                try
                {
                    created.Messages = await subscribing.WaitAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // Given up on here, but it may yet succeed: then it is undone, so no subscription outlives its watchers.
                    _ = subscribing.ContinueWith(t => t.Result.UnsubscribeAsync(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                    throw;
                }
                // One message at a time, in the order Redis delivered them: batches are in sequence order.
                created.Messages.OnMessage(message => created.Publish(SessionEventBatch.Parser.ParseFrom((byte[])message.Message!).Events));
                _topics[sessionId] = topic = created;
            }
            var watcher = new Watcher(this, sessionId, topic, onEvent);
            topic.Add(watcher);
            return watcher;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The channel session_runner.proto names for a session's event batches: <c>session:{session_id}:events</c>.</summary>
    public static string Channel(string sessionId) => $"session:{sessionId}:events";

    private async Task RemoveAsync(string sessionId, Topic topic, Watcher watcher)
    {
        await _gate.WaitAsync();
        try
        {
            if (topic.Remove(watcher) == 0 && _topics.Remove(sessionId))
            {
                await topic.Messages!.UnsubscribeAsync();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private sealed class Topic
    {
        private volatile Watcher[] _watchers = [];

        public ChannelMessageQueue? Messages { get; set; }

        public void Add(Watcher watcher) => _watchers = [.. _watchers, watcher];

        public int Remove(Watcher watcher)
        {
            _watchers = [.. _watchers.Where(w => w != watcher)];
            return _watchers.Length;
        }

        public void Publish(IEnumerable<SessionEvent> events)
        {
            foreach (var sessionEvent in events)
            {
                var streamed = new StreamedEvent(sessionEvent);
                foreach (var watcher in _watchers)
                {
                    watcher.OnEvent(streamed);
                }
            }
        }
    }

    private sealed class Watcher(SessionEventFeed feed, string sessionId, Topic topic, Action<StreamedEvent> onEvent) : IAsyncDisposable
    {
        private int _disposed;

        public Action<StreamedEvent> OnEvent => onEvent;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                await feed.RemoveAsync(sessionId, topic, watcher: this);
            }
        }
    }
}
