using AgentFleet.SessionRunner.Contracts;
using AgentFleet.SessionRunner.Infrastructure;
using AgentFleet.SessionRunner.Model;

namespace AgentFleet.SessionRunner.Services;

/// <summary>
/// WatchSession: history from the store, then live events from the hub, deduplicated by sequence. A gap
/// (a dropped live event) or a quiet second sends the reader back to the store, so nothing is missed.
/// </summary>
public sealed class SessionWatch(SessionSupervisor supervisor, SessionEventStore store, SessionEventHub hub)
{
    private const int PageSize = 512;

    public async Task StreamAsync(string sessionId, long fromSequence, Func<SessionEvent, Task> send, CancellationToken cancellationToken)
    {
        var session = supervisor.Find(sessionId);
        var id = Guid.Parse(session.Id);
        using var watcher = hub.Watch(session.Id);
        var next = Math.Max(1, fromSequence);
        while (true)
        {
            List<SessionEvent> page;
            do
            {
                page = await store.ReadAsync(id, next, PageSize, cancellationToken);
                foreach (var sessionEvent in page)
                {
                    await send(sessionEvent);
                    next = sessionEvent.Sequence + 1;
                    if (IsLast(session, sessionEvent))
                    {
                        return;
                    }
                }
            }
            while (page.Count == PageSize);

            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            quiet.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                while (await watcher.Events.WaitToReadAsync(quiet.Token))
                {
                    while (watcher.Events.TryRead(out var sessionEvent))
                    {
                        if (sessionEvent.Sequence < next)
                        {
                            continue;
                        }
                        if (sessionEvent.Sequence > next)
                        {
                            goto FillGap;
                        }
                        await send(sessionEvent);
                        next++;
                        if (IsLast(session, sessionEvent))
                        {
                            return;
                        }
                    }
                    // Quiet means no live event for a second, not a second since watching began.
                    quiet.CancelAfter(TimeSpan.FromSeconds(1));
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            FillGap:;
        }
    }

    // A run's end is the stream's end only if nothing follows it yet (a resumed session goes on).
    private static bool IsLast(AgentSession session, SessionEvent sessionEvent) =>
        SessionEvents.EndsRun(sessionEvent) && sessionEvent.Sequence >= session.LastSequence && SessionStatus.IsTerminal(session.Meta.Status);
}
