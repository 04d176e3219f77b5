using System.Threading.Channels;
using AgentFleet.ZaiProxy.Telemetry;
using Npgsql;

namespace AgentFleet.ZaiProxy.Accounting;

/// <summary>One priced upstream call, as it lands in <c>usage_records</c>.</summary>
public sealed record UsageRecord(Guid? SessionId, string KeyId, string Model, long InputTokens, long OutputTokens,
    long CacheCreationTokens, long CacheReadTokens, decimal CostUsd);

/// <summary>
/// Writes usage rows off the request path, a batch per round trip, so a reply's last byte is not held up by the
/// database; rows queued at shutdown are written before the process exits.
/// </summary>
public sealed partial class UsageRecorder(NpgsqlDataSource database, PriceTable prices, SessionSpend spend, ProxyMetrics metrics, ILogger<UsageRecorder> logger) : BackgroundService
{
    private readonly Channel<UsageRecord> _queue = Channel.CreateBounded<UsageRecord>(new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    /// <summary>Prices the tally and queues its row; returns the cost.</summary>
    public decimal Record(Guid? sessionId, string keyId, UsageTally usage)
    {
        var cost = prices.Cost(usage);
        if (sessionId is { } session)
        {
            spend.Add(session, cost);
        }
        var model = usage.Model ?? "unknown";
        metrics.Usage(model, usage.InputTokens, usage.OutputTokens, usage.CacheCreationTokens, usage.CacheReadTokens, cost);
        var record = new UsageRecord(sessionId, keyId, model, usage.InputTokens, usage.OutputTokens, usage.CacheCreationTokens, usage.CacheReadTokens, cost);
        if (!_queue.Writer.TryWrite(record))
        {
            // Ten thousand rows behind means the database is down; the row is logged rather than blocking the reply.
            LogDropped(logger, record.SessionId, record.KeyId, record.Model, record.InputTokens, record.OutputTokens, record.CostUsd);
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
        var batch = new List<UsageRecord>(256);
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < 256 && _queue.Reader.TryRead(out var record))
            {
                batch.Add(record);
            }
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await InsertAsync(batch);
                    break;
                }
                catch (Exception e) when (attempt < 10)
                {
                    LogRetry(logger, batch.Count, attempt, e.Message);
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), CancellationToken.None);
                }
                catch (Exception)
                {
                    // Given up on: the rows go to the log, where an operator can still recover them.
                    foreach (var record in batch)
                    {
                        LogDropped(logger, record.SessionId, record.KeyId, record.Model, record.InputTokens, record.OutputTokens, record.CostUsd);
                    }
                    break;
                }
            }
            batch.Clear();
        }
    }

    private async Task InsertAsync(List<UsageRecord> batch)
    {
        await using var command = database.CreateCommand("""
            INSERT INTO usage_records (session_id, key_id, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::numeric[])
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.SessionId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.KeyId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.Model).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.InputTokens).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.OutputTokens).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.CacheCreationTokens).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.CacheReadTokens).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(r => r.CostUsd).ToArray() });
        await command.ExecuteNonQueryAsync();
    }

    [LoggerMessage(LogLevel.Warning, "Writing {Count} usage rows failed (attempt {Attempt}), retrying: {Reason}")]
    private static partial void LogRetry(ILogger logger, int count, int attempt, string reason);

    [LoggerMessage(LogLevel.Error, "Usage row not stored: session {SessionId} key {KeyId} model {Model} input {Input} output {Output} cost {Cost}")]
    private static partial void LogDropped(ILogger logger, Guid? sessionId, string keyId, string model, long input, long output, decimal cost);
}
