using System.Threading.Channels;
using AgentFleet.ManagementApi.Infrastructure;
using AgentFleet.ServiceDefaults.Streams;
using AgentFleet.SessionRunner.Contracts;
using StackExchange.Redis;

namespace AgentFleet.ManagementApi.Services;

/// <summary>A notice about the stream itself (not a session event): where live events come from now.</summary>
public sealed record StreamNotice(string Source, string Message);

/// <summary>
/// Where a session stream goes. Writes may be buffered; <see cref="FlushAsync"/> comes after each run of
/// events that were ready together, so a burst costs one network write, not one per event.
/// </summary>
public interface ISessionStreamSink
{
    ValueTask WriteEventAsync(StreamedEvent streamedEvent);

    ValueTask WriteNoticeAsync(StreamNotice notice);

    ValueTask FlushAsync();
}

/// <summary>
/// One client's session stream (a <see cref="SequencedStream{T}"/>): history from PostgreSQL, then live events from
/// Redis, deduplicated and gap-filled by sequence number, so every event arrives once and in order. When Redis is unreachable the
/// stream polls PostgreSQL instead, says so, and goes back to Redis when it returns. A quiet spell also checks
/// PostgreSQL, so an event whose live copy was lost still arrives.
/// </summary>
public sealed partial class SessionStreamer(SessionQueries store, SessionEventFeed feed, IConnectionMultiplexer redis, ILogger<SessionStreamer> logger)
{
    private const int PageSize = 500;
    private static readonly TimeSpan LiveQuiet = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Sends events with a sequence above <paramref name="after"/> until the run ends or the caller goes.</summary>
    public async Task StreamAsync(Guid sessionId, long after, ISessionStreamSink sink, CancellationToken cancellationToken)
    {
        var live = Channel.CreateBounded<StreamedEvent>(new BoundedChannelOptions(4096) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
        // The pub/sub connection's drop and return cut the live wait short, so even an outage shorter than the quiet
        // spell is said (and its missed events read from PostgreSQL).
        var subscriberDown = false;
        var interrupt = new CancellationTokenSource();
        void Wake(bool down)
        {
            Volatile.Write(ref subscriberDown, down);
            try
            {
                Volatile.Read(ref interrupt).Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
        EventHandler<ConnectionFailedEventArgs> onLost = (_, _) => Wake(true), onRestored = (_, _) => Wake(false);
        bool LiveDown() => Volatile.Read(ref subscriberDown) || !redis.IsConnected;
        redis.ConnectionFailed += onLost;
        redis.ConnectionRestored += onRestored;
        IAsyncDisposable? subscription = await TrySubscribeAsync(sessionId, live, cancellationToken);
        try
        {
            var viaRedis = subscription is not null;
            if (!viaRedis)
            {
                await sink.WriteNoticeAsync(new StreamNotice("polling", "Live updates are unavailable (Redis unreachable); following the history instead."));
            }
            var stream = new SequencedStream<StreamedEvent>
            {
                ReadHistory = async (from, limit, ct) => [.. (await store.ReadEventsAsync(sessionId, from, limit, ct)).Select(e => new StreamedEvent(e))],
                SequenceOf = static e => e.Sequence,
                Write = sink.WriteEventAsync,
                Flush = sink.FlushAsync,
                // Live, a run's end is the stream's end; in the history it may be followed by the next run of a resumed session.
                EndsLive = static e => e.EndsRun,
                AfterHistory = async (last, next, ct) =>
                {
                    // A client that already has the end (it resumes after it, or claims a position past it) gets nothing more.
                    if (last is null && next > 1)
                    {
                        // The event it has last, or, for a position past the end, the newest there is.
                        var at = (await store.ReadEventsAsync(sessionId, next - 1, 1, ct)).FirstOrDefault();
                        if (at is null)
                        {
                            var newest = (await store.FindAsync(sessionId, null, ct))?.LastSequence ?? 0;
                            at = newest == 0 ? null : (await store.ReadEventsAsync(sessionId, newest, 1, ct)).FirstOrDefault();
                        }
                        last = at is null ? null : new StreamedEvent(at);
                    }
                    return last is { EndsRun: true } ? AfterHistory.Over : AfterHistory.Live;
                },
                NextWait = () =>
                {
                    var fresh = new CancellationTokenSource();
                    Interlocked.Exchange(ref interrupt, fresh).Dispose();
                    if (viaRedis == LiveDown())
                    {
                        // Live updates went or came back while the history was read: settle that first.
                        fresh.Cancel();
                    }
                    return new LiveWait(viaRedis, viaRedis ? LiveQuiet : PollInterval, fresh.Token);
                },
                AfterWait = async ct =>
                {
                    var down = LiveDown();
                    if (viaRedis && down)
                    {
                        viaRedis = false;
                        await sink.WriteNoticeAsync(new StreamNotice("polling", "Redis is unreachable; following the history instead."));
                    }
                    else if (!viaRedis && !down)
                    {
                        subscription ??= await TrySubscribeAsync(sessionId, live, ct);
                        if (subscription is not null)
                        {
                            viaRedis = true;
                            await sink.WriteNoticeAsync(new StreamNotice("redis", "Live updates are back."));
                        }
                    }
                },
                PageSize = PageSize,
            };
            await stream.RunAsync(after, live.Reader, cancellationToken);
        }
        finally
        {
            redis.ConnectionFailed -= onLost;
            redis.ConnectionRestored -= onRestored;
            Volatile.Read(ref interrupt).Dispose();
            if (subscription is not null)
            {
                await subscription.DisposeAsync();
            }
        }
    }

    private async Task<IAsyncDisposable?> TrySubscribeAsync(Guid sessionId, Channel<StreamedEvent> live, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            return await feed.SubscribeAsync(sessionId.ToString(), e => live.Writer.TryWrite(e), timeout.Token);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogSubscribeFailed(logger, sessionId, e.Message);
            return null;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Subscribing to the live events of session {SessionId} failed; polling history: {Reason}")]
    private static partial void LogSubscribeFailed(ILogger logger, Guid sessionId, string reason);
}
