using System.Collections.Concurrent;
using System.Threading.Channels;
using AgentFleet.SessionRunner.Contracts;

namespace AgentFleet.SessionRunner.Infrastructure;

/// <summary>
/// In-process fan-out of persisted events to this runner's own watchers (WatchSession). Each watcher has a
/// bounded queue; events a slow watcher has no room for are dropped, and it fills the gap
/// from the store, which it can always do because only persisted events reach the hub.
/// </summary>
public sealed class SessionEventHub
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Watcher, byte>> _watchers = new();

    public Watcher Watch(string sessionId)
    {
        var watcher = new Watcher(this, sessionId);
        _watchers.GetOrAdd(sessionId, _ => new()).TryAdd(watcher, 0);
        return watcher;
    }

    public void Publish(string sessionId, IReadOnlyList<SessionEvent> events)
    {
        if (!_watchers.TryGetValue(sessionId, out var watchers))
        {
            return;
        }
        foreach (var watcher in watchers.Keys)
        {
            foreach (var sessionEvent in events)
            {
                watcher.Queue.Writer.TryWrite(sessionEvent);
            }
        }
    }

    public sealed class Watcher(SessionEventHub hub, string sessionId) : IDisposable
    {
        internal Channel<SessionEvent> Queue { get; } = Channel.CreateBounded<SessionEvent>(new BoundedChannelOptions(4096)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropWrite,
        });

        public ChannelReader<SessionEvent> Events => Queue.Reader;

        public void Dispose()
        {
            if (hub._watchers.TryGetValue(sessionId, out var watchers))
            {
                watchers.TryRemove(this, out _);
            }
            Queue.Writer.TryComplete();
        }
    }
}
