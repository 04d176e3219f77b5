using System.Text.Json.Nodes;
using AgentFleet.ManagementApi.Model;
using AgentFleet.ServiceDefaults.Security;
using Npgsql;

namespace AgentFleet.ManagementApi.Services;

/// <summary>
/// The <c>sessions</c> table (ManagementApi writes it) read together with the latest lifecycle event the runner
/// persisted for each session, which carries its current status, times, exit code and cost.
/// </summary>
public sealed class SessionRepository(NpgsqlDataSource dataSource)
{
    private const string Select =
        """
        SELECT s.id, s.agent, s.task, s.provider, s.model, coalesce(l.metadata->>'sessionStatus', s.status) AS status,
               s.created_at, l.metadata, coalesce((SELECT max(seq) FROM session_events e WHERE e.session_id = s.id), 0), s.owner
        FROM sessions s
        LEFT JOIN LATERAL (
            SELECT metadata FROM session_events e
            WHERE e.session_id = s.id AND e.metadata ? 'sessionStatus'
            ORDER BY e.seq DESC LIMIT 1) l ON true
        """;

    /// <summary>
    /// Inserts the session unless its owner already has <paramref name="maxActive"/> active ones (0: no limit), and
    /// then returns how many they have. Counting and inserting happen under a lock on the owner, so two requests at
    /// the same moment cannot both take the last place.
    /// </summary>
    public async Task<int?> InsertAsync(Guid id, CreateSessionRequest request, CallerIdentity caller, int maxActive, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (maxActive > 0)
        {
            await using var lockOwner = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('sessions:' || @owner))", connection, transaction);
            lockOwner.Parameters.AddWithValue("owner", caller.Owner);
            await lockOwner.ExecuteNonQueryAsync(cancellationToken);
            await using var count = new NpgsqlCommand(
                $"SELECT count(*) FROM ({Select} WHERE s.owner = @owner) active WHERE status IN ('queued', 'running', 'paused')", connection, transaction);
            count.Parameters.AddWithValue("owner", caller.Owner);
            var active = (int)(long)(await count.ExecuteScalarAsync(cancellationToken))!;
            if (active >= maxActive)
            {
                return active;
            }
        }
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO sessions (id, agent, task, provider, model, status, timeout_seconds, budget_usd, owner, created_by_key)
            VALUES (@id, @agent, @task, @provider, @model, 'queued', @timeout, @budget, @owner, @key)
            """, connection, transaction);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("owner", caller.Owner);
        command.Parameters.AddWithValue("key", caller.KeyId);
        command.Parameters.AddWithValue("agent", request.Agent!);
        command.Parameters.AddWithValue("task", request.Task!);
        command.Parameters.AddWithValue("provider", (object?)request.Provider ?? DBNull.Value);
        command.Parameters.AddWithValue("model", (object?)request.Model ?? DBNull.Value);
        command.Parameters.AddWithValue("timeout", (object?)request.TimeoutSeconds ?? DBNull.Value);
        command.Parameters.AddWithValue("budget", (object?)request.BudgetUsd ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return null;
    }

    /// <summary>Keeps the row's own status in step with what a control call returned (the events stay authoritative).</summary>
    public async Task SetStatusAsync(Guid id, string status, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE sessions SET status = @status WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("status", status);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM sessions WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The session, if it exists and <paramref name="owner"/> (null: anyone) owns it.</summary>
    public async Task<SessionView?> FindAsync(Guid id, string? owner, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"{Select} WHERE s.id = @id AND (@owner::text IS NULL OR s.owner = @owner)");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("owner", (object?)owner ?? DBNull.Value);
        var views = await ReadAsync(command, cancellationToken);
        return views.Count == 0 ? null : views[0] with { Usage = await UsageAsync(id, cancellationToken) };
    }

    public async Task<SessionPage> ListAsync(string? status, string? owner, int limit, int offset, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT *, count(*) OVER () FROM ({Select} {Filter(status)}) page ORDER BY created_at DESC, id LIMIT @limit OFFSET @offset");
        command.Parameters.AddWithValue("status", (object?)status ?? DBNull.Value);
        command.Parameters.AddWithValue("owner", (object?)owner ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", limit);
        command.Parameters.AddWithValue("offset", offset);
        var total = 0;
        var views = await ReadAsync(command, cancellationToken, reader => total = (int)reader.GetInt64(10));
        if (views.Count == 0 && offset > 0)
        {
            total = await CountAsync(status, owner, cancellationToken);
        }
        return new SessionPage(views, total, limit, offset);
    }

    private async Task<int> CountAsync(string? status, string? owner, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT count(*) FROM ({Select} {Filter(status)}) page");
        command.Parameters.AddWithValue("status", (object?)status ?? DBNull.Value);
        command.Parameters.AddWithValue("owner", (object?)owner ?? DBNull.Value);
        return (int)(long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    // The current status is the latest lifecycle event's, else the row's own (a session the runner never numbered).
    private static string Filter(string? status) =>
        "WHERE (@owner::text IS NULL OR s.owner = @owner)" + (status is null ? "" : " AND coalesce(l.metadata->>'sessionStatus', s.status) = @status");

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
        return new SessionUsage(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    private static async Task<List<SessionView>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken, Action<NpgsqlDataReader>? extra = null)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var views = new List<SessionView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetGuid(0);
            var snapshot = reader.IsDBNull(7) ? null : JsonNode.Parse(reader.GetString(7));
            views.Add(new SessionView(
                id, reader.GetString(9), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6),
                snapshot?["startedAt"]?.GetValue<DateTimeOffset>(), snapshot?["endedAt"]?.GetValue<DateTimeOffset>(),
                snapshot?["durationMs"]?.GetValue<long>(), snapshot?["exitCode"]?.GetValue<int>(),
                snapshot?["totalCostUsd"]?.GetValue<double>(), snapshot?["agentSessionId"]?.GetValue<string>(),
                reader.GetInt64(8), null, null, SessionLinksFor.Session(id)));
            extra?.Invoke(reader);
        }
        return views;
    }
}
