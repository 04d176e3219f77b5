using System.Threading.Channels;
using AgentFleet.SessionRunner.Contracts;
using AgentFleet.SessionRunner.Infrastructure;

namespace AgentFleet.SessionRunner.Services;

/// <summary>
/// Persists every session's events in micro-batches, then publishes them. A batch is whatever has queued while
/// the previous one was written, up to 256 events, so a quiet session's event goes out at once and a busy one's
/// share a round trip. Events wait in a bounded queue: a slow database slows the agents' output, it loses nothing.
/// </summary>
public sealed partial class SessionEventWriter(
    SessionEventStore store, SessionEventHub hub, SessionEventPublisher publisher, ILogger<SessionEventWriter> logger) : BackgroundService
{
    public const int MaxBatch = 256;

    private readonly Channel<SessionEvent> _queue = Channel.CreateBounded<SessionEvent>(new BoundedChannelOptions(16 * 1024)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    // Redis is the fast path only (history fills any gap), so publishing runs apart from persisting and a
    // Redis outage never holds up the database writes; when it backs up, batches are dropped, not queued forever.
    private readonly Channel<IReadOnlyList<SessionEvent>> _publishQueue = Channel.CreateBounded<IReadOnlyList<SessionEvent>>(new BoundedChannelOptions(1024)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.DropWrite,
    });

    /// <summary>Raised after a batch is persisted, with the batch: sessions track their persisted sequence from it.</summary>
    public event Action<IReadOnlyList<SessionEvent>>? Persisted;

    public ValueTask EnqueueAsync(SessionEvent sessionEvent, CancellationToken cancellationToken = default) =>
        _queue.Writer.WriteAsync(sessionEvent, cancellationToken);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(PersistLoopAsync(), PublishLoopAsync());

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Drain rather than drop: the supervisor stopped first and its last events are in the queue.
        _queue.Writer.TryComplete();
        if (ExecuteTask is { } running)
        {
            await running.WaitAsync(cancellationToken);
        }
    }

    private async Task PersistLoopAsync()
    {
        var batch = new List<SessionEvent>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var sessionEvent))
            {
                batch.Add(sessionEvent);
            }
            await PersistAsync(batch);
            IReadOnlyList<SessionEvent> persisted = [.. batch];
            batch.Clear();
            foreach (var group in persisted.GroupBy(e => e.SessionId))
            {
                var events = group.ToList();
                hub.Publish(group.Key, events);
                _publishQueue.Writer.TryWrite(events);
            }
            Persisted?.Invoke(persisted);
        }
        _publishQueue.Writer.TryComplete();
    }

    private async Task PersistAsync(List<SessionEvent> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await store.AppendAsync(batch, CancellationToken.None);
                return;
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or IOException)
            {
                // Retried until it lands: the events exist nowhere else. The queue behind fills and the agents wait.
                LogPersistRetry(logger, batch.Count, attempt, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 50 * Math.Pow(2, Math.Min(attempt, 7)))));
            }
        }
    }

    private async Task PublishLoopAsync()
    {
        await foreach (var events in _publishQueue.Reader.ReadAllAsync())
        {
            try
            {
                await publisher.PublishAsync(events[0].SessionId, events);
            }
            catch (Exception e)
            {
                LogPublishFailed(logger, events[0].SessionId, e.Message);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Persisting {Count} session events failed (attempt {Attempt}), retrying: {Reason}")]
    private static partial void LogPersistRetry(ILogger logger, int count, int attempt, string reason);

    [LoggerMessage(LogLevel.Debug, "Publishing events of session {SessionId} failed; live streams fill the gap from history: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, string sessionId, string reason);
}
