using AgentFleet.ZaiProxy.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace AgentFleet.ZaiProxy.Accounting;

/// <summary>Usage grouped by session, paying key, model or UTC day (GetUsageReport), over <c>usage_records</c>.</summary>
public sealed class UsageReports(NpgsqlDataSource database)
{
    public static readonly IReadOnlyDictionary<string, string> Groups = new Dictionary<string, string>
    {
        ["session"] = "coalesce(session_id::text, '')",
        // Rows from before keys were recorded name only the caller.
        ["key"] = "coalesce(api_key_id, key_id, '')",
        ["model"] = "model",
        ["day"] = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    };

    public async Task<UsageReport> ReportAsync(UsageReportRequest request, CancellationToken cancellationToken)
    {
        // The grouping expression comes from the table above, never from the caller's text.
        var group = Groups[request.GroupBy];
        await using var command = database.CreateCommand($"""
            SELECT {group}, count(*), sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), sum(cache_read_tokens), sum(cost_usd)
            FROM usage_records
            WHERE ($1::timestamptz IS NULL OR created_at >= $1) AND ($2::timestamptz IS NULL OR created_at < $2)
              AND ($3 OR api_key_id = ANY($4))
            GROUP BY 1 ORDER BY 1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)request.From?.ToDateTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)request.To?.ToDateTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = request.AllKeys });
        command.Parameters.Add(new NpgsqlParameter { Value = request.ApiKeyIds.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        var report = new UsageReport { Total = new UsageRow() };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new UsageRow
            {
                Group = reader.GetString(0),
                Calls = reader.GetInt64(1),
                InputTokens = reader.GetInt64(2),
                OutputTokens = reader.GetInt64(3),
                CacheCreationTokens = reader.GetInt64(4),
                CacheReadTokens = reader.GetInt64(5),
                CostUsd = (double)reader.GetDecimal(6),
            };
            report.Rows.Add(row);
            report.Total.Calls += row.Calls;
            report.Total.InputTokens += row.InputTokens;
            report.Total.OutputTokens += row.OutputTokens;
            report.Total.CacheCreationTokens += row.CacheCreationTokens;
            report.Total.CacheReadTokens += row.CacheReadTokens;
            report.Total.CostUsd += row.CostUsd;
        }
        return report;
    }
}
