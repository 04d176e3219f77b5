using AgentFleet.ServiceDefaults.Streams;
using AgentFleet.SessionRunner.Contracts;
using AgentFleet.SessionRunner.Infrastructure;
using AgentFleet.SessionRunner.Model;

namespace AgentFleet.SessionRunner.Services;

/// <summary>
/// WatchSession: history from the store, then live events from the hub (a <see cref="SequencedStream{T}"/>), until the
/// end of a session that is over. A gap (a dropped live event) or a quiet second sends the reader back to the store.
/// </summary>
public sealed class SessionWatch(SessionSupervisor supervisor, SessionEventStore store, SessionEventHub hub)
{
    public async Task StreamAsync(string sessionId, long fromSequence, Func<SessionEvent, Task> send, CancellationToken cancellationToken)
    {
        var session = supervisor.Find(sessionId);
        var id = Guid.Parse(session.Id);
        using var watcher = hub.Watch(session.Id);
        var stream = new SequencedStream<SessionEvent>
        {
            ReadHistory = async (from, limit, ct) => await store.ReadAsync(id, from, limit, ct),
            SequenceOf = static e => e.Sequence,
            Write = e => new ValueTask(send(e)),
            EndsInHistory = e => IsLast(session, e),
            EndsLive = e => IsLast(session, e),
            NextWait = static () => new LiveWait(true, TimeSpan.FromSeconds(1)),
            PageSize = 512,
        };
        await stream.RunAsync(Math.Max(1, fromSequence) - 1, watcher.Events, cancellationToken);
    }

    // A run's end is the stream's end only if nothing follows it yet (a resumed session goes on).
    private static bool IsLast(AgentSession session, SessionEvent sessionEvent) =>
        SessionEvents.EndsRun(sessionEvent) && sessionEvent.Sequence >= session.LastSequence && SessionStatus.IsTerminal(session.Meta.Status);
}
