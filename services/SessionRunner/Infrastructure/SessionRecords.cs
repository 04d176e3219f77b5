using System.Text.Json.Nodes;
using AgentFleet.SessionRunner.Contracts;
using Google.Protobuf.WellKnownTypes;
using Npgsql;

namespace AgentFleet.SessionRunner.Infrastructure;

/// <summary>
/// <c>agent_sessions</c>, the runner's record of each session (who asked for what), read together with the latest
/// lifecycle event in <c>session_events</c>, which carries the session's status, times, exit code and cost. That event
/// is the one place a session's status lives.
/// </summary>
public sealed class SessionRecords(NpgsqlDataSource dataSource, Microsoft.Extensions.Options.IOptions<Services.SessionRunnerOptions> options)
{
    private const string Select =
        """
        SELECT s.id, s.owner, s.agent, s.task, s.provider, s.model, coalesce(l.metadata->>'sessionStatus', 'queued') AS status,
               s.created_at, l.metadata, coalesce((SELECT max(seq) FROM session_events e WHERE e.session_id = s.id), 0),
               s.parent_session_id, s.depth, s.created_by_key, s.runner_id
        FROM agent_sessions s
        LEFT JOIN LATERAL (
            SELECT metadata FROM session_events e
            WHERE e.session_id = s.id AND e.metadata ? 'sessionStatus'
            ORDER BY e.seq DESC LIMIT 1) l ON true
        """;

    /// <summary>
    /// Records the session unless its owner already has <c>max_active_for_owner</c> active ones (then: how many they
    /// have). Counting and inserting happen under a lock on the owner, so two starts at the same moment cannot both
    /// take the last place. A retried start of a recorded session records nothing and is not counted again; a start of
    /// a session another runner holds names that runner (<c>OwnedBy</c>).
    /// </summary>
    public async Task<(bool Inserted, int? OverLimit, string? OwnedBy)> InsertAsync(Guid id, StartSessionRequest request, string owner, CancellationToken cancellationToken)
    {
        var runnerId = options.Value.RunnerId;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var known = new NpgsqlCommand("SELECT coalesce(runner_id, @runner) FROM agent_sessions WHERE id = @id", connection, transaction))
        {
            known.Parameters.AddWithValue("id", id);
            known.Parameters.AddWithValue("runner", runnerId);
            if (await known.ExecuteScalarAsync(cancellationToken) is string holder)
            {
                return (false, null, holder == runnerId ? null : holder);
            }
        }
        if (request.MaxActiveForOwner > 0)
        {
            await using var lockOwner = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('sessions:' || @owner))", connection, transaction);
            lockOwner.Parameters.AddWithValue("owner", owner);
            await lockOwner.ExecuteNonQueryAsync(cancellationToken);
            await using var count = new NpgsqlCommand(
                $"SELECT count(*) FROM ({Select} WHERE s.owner = @owner) active WHERE status IN ('queued', 'running', 'waiting_approval', 'paused')", connection, transaction);
            count.Parameters.AddWithValue("owner", owner);
            var active = (int)(long)(await count.ExecuteScalarAsync(cancellationToken))!;
            if (active >= request.MaxActiveForOwner)
            {
                return (false, active, null);
            }
        }
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO agent_sessions (id, owner, created_by_key, agent, task, provider, model, timeout_seconds, budget_usd, parent_session_id, depth, runner_id)
            VALUES (@id, @owner, @key, @agent, @task, @provider, @model, @timeout, @budget, @parent, @depth, @runner)
            ON CONFLICT (id) DO NOTHING
            """, connection, transaction);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("key", request.CreatedByKey is { Length: > 0 } key ? key : DBNull.Value);
        command.Parameters.AddWithValue("agent", request.Agent);
        command.Parameters.AddWithValue("task", request.Task);
        command.Parameters.AddWithValue("provider", request.Provider is { Length: > 0 } provider ? provider : DBNull.Value);
        command.Parameters.AddWithValue("model", request.Model is { Length: > 0 } model ? model : DBNull.Value);
        command.Parameters.AddWithValue("timeout", request.TimeoutSeconds > 0 ? request.TimeoutSeconds : DBNull.Value);
        command.Parameters.AddWithValue("budget", request.BudgetUsd > 0 ? (decimal)request.BudgetUsd : DBNull.Value);
        command.Parameters.AddWithValue("parent", Guid.TryParse(request.ParentSessionId, out var parent) ? parent : DBNull.Value);
        command.Parameters.AddWithValue("depth", Math.Max(1, request.Depth));
        command.Parameters.AddWithValue("runner", runnerId);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (true, null, null);
    }

    /// <summary>Forgets a session that never started (its start was refused after it was recorded).</summary>
    public async Task DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM agent_sessions WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<SessionRecord?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"{Select} WHERE s.id = @id");
        command.Parameters.AddWithValue("id", id);
        var records = await ReadAsync(command, cancellationToken);
        if (records.Count == 0)
        {
            return null;
        }
        records[0].Usage = await UsageAsync(id, cancellationToken);
        return records[0];
    }

    public async Task<SessionList> ListAsync(string? owner, string? status, Guid? parent, int limit, int offset, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT *, count(*) OVER () FROM ({Select} {Filter(status)}) page ORDER BY created_at DESC, id LIMIT @limit OFFSET @offset");
        command.Parameters.AddWithValue("status", (object?)status ?? DBNull.Value);
        command.Parameters.AddWithValue("owner", (object?)owner ?? DBNull.Value);
        command.Parameters.AddWithValue("parent", (object?)parent ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", limit);
        command.Parameters.AddWithValue("offset", offset);
        var total = 0;
        var records = await ReadAsync(command, cancellationToken, reader => total = (int)reader.GetInt64(14));
        if (records.Count == 0 && offset > 0)
        {
            await using var count = dataSource.CreateCommand($"SELECT count(*) FROM ({Select} {Filter(status)}) page");
            count.Parameters.AddWithValue("status", (object?)status ?? DBNull.Value);
            count.Parameters.AddWithValue("owner", (object?)owner ?? DBNull.Value);
            count.Parameters.AddWithValue("parent", (object?)parent ?? DBNull.Value);
            total = (int)(long)(await count.ExecuteScalarAsync(cancellationToken))!;
        }
        var list = new SessionList { Total = total };
        list.Sessions.AddRange(records);
        return list;
    }

    private static string Filter(string? status) =>
        "WHERE (@owner::text IS NULL OR s.owner = @owner) AND (@parent::uuid IS NULL OR s.parent_session_id = @parent)" + (status is null ? "" : " AND coalesce(l.metadata->>'sessionStatus', 'queued') = @status");

    /// <summary>Token totals from the session's usage events (one per model call).</summary>
    private async Task<SessionUsage> UsageAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT coalesce(sum((metadata->>'inputTokens')::bigint), 0), coalesce(sum((metadata->>'outputTokens')::bigint), 0),
                   coalesce(sum((metadata->>'cacheReadTokens')::bigint), 0), coalesce(sum((metadata->>'cacheCreationTokens')::bigint), 0)
            FROM session_events WHERE session_id = @id AND type = 'usage'
            """);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new SessionUsage { InputTokens = reader.GetInt64(0), OutputTokens = reader.GetInt64(1), CacheReadTokens = reader.GetInt64(2), CacheCreationTokens = reader.GetInt64(3) };
    }

    private static async Task<List<SessionRecord>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken, Action<NpgsqlDataReader>? extra = null)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var records = new List<SessionRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var snapshot = reader.IsDBNull(8) ? null : JsonNode.Parse(reader.GetString(8));
            var record = new SessionRecord
            {
                SessionId = reader.GetGuid(0).ToString(),
                Owner = reader.GetString(1),
                Agent = reader.GetString(2),
                Task = reader.GetString(3),
                Provider = reader.IsDBNull(4) ? "" : reader.GetString(4),
                Model = reader.IsDBNull(5) ? "" : reader.GetString(5),
                Status = reader.GetString(6),
                CreatedAt = Timestamp.FromDateTimeOffset(reader.GetFieldValue<DateTimeOffset>(7)),
                AgentSessionId = snapshot?["agentSessionId"]?.GetValue<string>() ?? "",
                LastSequence = reader.GetInt64(9),
                ParentSessionId = reader.IsDBNull(10) ? "" : reader.GetGuid(10).ToString(),
                Depth = reader.GetInt32(11),
                CreatedByKey = reader.IsDBNull(12) ? "" : reader.GetString(12),
                RunnerId = reader.IsDBNull(13) ? "" : reader.GetString(13),
            };
            if (snapshot?["startedAt"]?.GetValue<DateTimeOffset>() is { } started)
            {
                record.StartedAt = Timestamp.FromDateTimeOffset(started);
            }
            if (snapshot?["endedAt"]?.GetValue<DateTimeOffset>() is { } ended)
            {
                record.EndedAt = Timestamp.FromDateTimeOffset(ended);
            }
            if (snapshot?["durationMs"]?.GetValue<long>() is { } duration)
            {
                record.DurationMs = duration;
            }
            if (snapshot?["exitCode"]?.GetValue<int>() is { } exitCode)
            {
                record.ExitCode = exitCode;
            }
            if (snapshot?["totalCostUsd"]?.GetValue<double>() is { } cost)
            {
                record.TotalCostUsd = cost;
            }
            records.Add(record);
            extra?.Invoke(reader);
        }
        return records;
    }
}
