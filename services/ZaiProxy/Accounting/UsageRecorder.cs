using System.Threading.Channels;
using AgentFleet.ZaiProxy.Auth;
using AgentFleet.ZaiProxy.Telemetry;
using Npgsql;

namespace AgentFleet.ZaiProxy.Accounting;

/// <summary>One priced upstream call, as it lands in <c>usage_records</c>: its id makes a replayed row land once.</summary>
public sealed record UsageRecord(Guid Id, DateTimeOffset At, Guid? SessionId, string KeyId, string Model, long InputTokens, long OutputTokens,
    long CacheCreationTokens, long CacheReadTokens, decimal CostUsd, string? ApiKeyId = null, Guid? BudgetSessionId = null);

/// <summary>
/// Writes usage rows off the request path, a batch per round trip, so a reply's last byte is not held up by the
/// database. No row is ever dropped: when the database does not take a batch, it goes to the local
/// <see cref="UsageSpool"/> (and so does everything after it, and anything that overflows the queue), which is
/// replayed, idempotently, as soon as the database answers again; rows queued at shutdown are written or spooled
/// before the process exits, and a spool left by an earlier run is replayed at start.
/// </summary>
public sealed partial class UsageRecorder(NpgsqlDataSource database, PriceTable prices, SessionSpend spend, KeySpend keySpend, UsageSpool spool, ProxyMetrics metrics,
    ILogger<UsageRecorder> logger) : BackgroundService
{
    private static readonly TimeSpan ReplayInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan InsertTimeout = TimeSpan.FromSeconds(10);

    private readonly Channel<UsageRecord> _queue = Channel.CreateBounded<UsageRecord>(new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    /// <summary>Prices the tally, counts it for budgets and queues its row; returns the cost.</summary>
    public async ValueTask<decimal> RecordAsync(Caller caller, UsageTally usage)
    {
        var cost = prices.Cost(usage);
        var budgetGroup = caller.BudgetGroup ?? caller.SessionId;
        // Counted before the row is queued: a shared counter seeded from PostgreSQL after it took this call cannot
        // also find the row there (SpendCounters). Neither step throws when Redis is away.
        await Task.WhenAll(
            budgetGroup is { } group ? spend.AddAsync(group, cost) : Task.CompletedTask,
            caller.Payer is { } payer ? keySpend.AddAsync(payer.KeyId, cost) : Task.CompletedTask);
        // The model's name comes back from the upstream (the simulated one echoes the caller's): a NUL in it would make
        // PostgreSQL refuse the row, and every row spooled behind it, for ever.
        var model = (usage.Model ?? "unknown").Replace('\0', '\uFFFD');
        metrics.Usage(model, usage.InputTokens, usage.OutputTokens, usage.CacheCreationTokens, usage.CacheReadTokens, cost);
        var record = new UsageRecord(Guid.NewGuid(), DateTimeOffset.UtcNow, caller.SessionId, caller.KeyId, model, usage.InputTokens, usage.OutputTokens,
            usage.CacheCreationTokens, usage.CacheReadTokens, cost, caller.Payer?.KeyId, budgetGroup);
        if (!_queue.Writer.TryWrite(record))
        {
            // Ten thousand rows behind: straight to disk rather than holding up the reply or losing the row.
            spool.Append([record]);
        }
        return cost;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (ExecuteTask is { } running)
        {
            await running.WaitAsync(cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var replaying = new CancellationTokenSource();
        var replay = ReplayLoopAsync(replaying.Token);
        var batch = new List<UsageRecord>(256);
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < 256 && _queue.Reader.TryRead(out var record))
            {
                batch.Add(record);
            }
            // Behind rows already on disk, a batch joins them: one replay stores them all.
            if (spool.HasPending || !await TryInsertAsync(batch))
            {
                spool.Append(batch);
                LogSpooled(logger, batch.Count);
            }
            batch.Clear();
        }
        await replaying.CancelAsync();
        await replay;
        // What the last batches spooled, while the database may be back: stored now, or kept for the next start.
        await ReplayAsync();
    }

    private async Task ReplayLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            await ReplayAsync();
            try
            {
                await Task.Delay(ReplayInterval, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Stores what the spool holds, until it is empty or the database fails again (the rest stays on disk).</summary>
    private async Task ReplayAsync()
    {
        while (spool.HasPending)
        {
            var records = spool.TakeForReplay();
            foreach (var chunk in records.Chunk(1000))
            {
                if (!await TryInsertAsync(chunk))
                {
                    return;
                }
            }
            spool.CompleteReplay();
            LogReplayed(logger, records.Count);
        }
    }

    /// <summary>
    /// Stores the batch; false while the database cannot be reached. A batch it refuses for its data (a value no column
    /// takes) is stored row by row, and a row refused on its own is logged instead: one bad row must not hold up
    /// every row behind it on the spool.
    /// </summary>
    private async Task<bool> TryInsertAsync(IReadOnlyList<UsageRecord> batch)
    {
        try
        {
            using var timeout = new CancellationTokenSource(InsertTimeout);
            await InsertAsync(batch, timeout.Token);
            return true;
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            if (batch.Count == 1)
            {
                var record = batch[0];
                LogRefused(logger, record.SessionId, record.KeyId, record.Model, record.InputTokens, record.OutputTokens, record.CostUsd, e.MessageText);
                return true;
            }
            foreach (var record in batch)
            {
                if (!await TryInsertAsync([record]))
                {
                    return false;
                }
            }
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            LogInsertFailed(logger, batch.Count, e.Message);
            return false;
        }
    }

    private async Task InsertAsync(IReadOnlyList<UsageRecord> batch, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""
            INSERT INTO usage_records (record_id, created_at, session_id, key_id, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd, api_key_id, budget_session_id)
            SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::numeric[], $11::text[], $12::uuid[])
            ON CONFLICT (record_id) DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.Id).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.At).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.SessionId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.KeyId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.Model).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.InputTokens).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.OutputTokens).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.CacheCreationTokens).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.CacheReadTokens).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.CostUsd).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.ApiKeyId).ToArray() });
        // Rows spooled before the column existed count for their own session.
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.BudgetSessionId ?? r.SessionId).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(LogLevel.Warning, "Writing {Count} usage rows failed: {Reason}")]
    private static partial void LogInsertFailed(ILogger logger, int count, string reason);

    [LoggerMessage(LogLevel.Warning, "{Count} usage rows spooled to disk until the database answers")]
    private static partial void LogSpooled(ILogger logger, int count);

    [LoggerMessage(LogLevel.Error, "Usage row refused by the database ({Reason}): session {SessionId} key {KeyId} model {Model} input {Input} output {Output} cost {Cost}")]
    private static partial void LogRefused(ILogger logger, Guid? sessionId, string keyId, string model, long input, long output, decimal cost, string reason);

    [LoggerMessage(LogLevel.Information, "{Count} spooled usage rows stored")]
    private static partial void LogReplayed(ILogger logger, int count);
}
