using AgentFleet.ZaiProxy.Contracts;
using Npgsql;

namespace AgentFleet.ZaiProxy.Accounting;

/// <summary>Usage totals over <c>usage_records</c>, narrowed by session, key and time range (GetUsage).</summary>
public sealed class UsageQueries(NpgsqlDataSource database)
{
    public async Task<UsageSummary> SummarizeAsync(UsageQuery query, CancellationToken cancellationToken)
    {
        Guid? sessionId = query.SessionId is { Length: > 0 } s ? Guid.Parse(s) : null;
        string? keyId = query.KeyId is { Length: > 0 } k ? k : null;
        DateTime? from = query.From?.ToDateTime();
        DateTime? to = query.To?.ToDateTime();
        await using var command = database.CreateCommand("""
            SELECT model, count(*), sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), sum(cache_read_tokens), sum(cost_usd)
            FROM usage_records
            WHERE ($1::uuid IS NULL OR session_id = $1) AND ($2::text IS NULL OR key_id = $2)
              AND ($3::timestamptz IS NULL OR created_at >= $3) AND ($4::timestamptz IS NULL OR created_at < $4)
            GROUP BY model ORDER BY model
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)sessionId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)keyId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)from ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)to ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        var summary = new UsageSummary();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var model = new ModelUsage
            {
                Model = reader.GetString(0),
                Calls = reader.GetInt64(1),
                InputTokens = reader.GetInt64(2),
                OutputTokens = reader.GetInt64(3),
                CostUsd = (double)reader.GetDecimal(6),
            };
            summary.ByModel.Add(model);
            summary.Calls += model.Calls;
            summary.InputTokens += model.InputTokens;
            summary.OutputTokens += model.OutputTokens;
            summary.CacheCreationTokens += reader.GetInt64(4);
            summary.CacheReadTokens += reader.GetInt64(5);
            summary.CostUsd += model.CostUsd;
        }
        return summary;
    }
}
