using System.Text.Json;
using System.Text.Json.Nodes;
using AgentFleet.ComfyBridge.Model;
using Npgsql;
using NpgsqlTypes;

namespace AgentFleet.ComfyBridge.Jobs;

/// <summary>
/// <c>comfy_jobs</c> and <c>comfy_job_events</c>: the bridges are their only writers, each job's by the bridge that
/// owns it (<c>JobStore.Ownership.cs</c>).
/// </summary>
public sealed partial class JobStore(NpgsqlDataSource dataSource)
{
    private const string Columns =
        """
        id, owner, created_by_key, server, prompt_id, status, workflow, webhook_url, outputs, error, created_at, started_at, ended_at,
        attempts, cancel_requested, webhook_attempts, webhook_delivered_at, webhook_error
        """;

    /// <summary>Records a new job, owned by <paramref name="bridgeId"/>, the bridge that submits and follows it.</summary>
    public async Task InsertAsync(Guid id, string bridgeId, string owner, string keyId, string server, string promptId, JsonObject workflow, string? webhookUrl,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO comfy_jobs (id, bridge_id, owner, created_by_key, server, prompt_id, status, workflow, webhook_url, attempts)
            VALUES (@id, @bridge, @owner, @key, @server, @prompt, 'queued', @workflow, @webhook, 1)
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("bridge", bridgeId);
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("key", keyId);
        command.Parameters.AddWithValue("server", server);
        command.Parameters.AddWithValue("prompt", promptId);
        command.Parameters.AddWithValue("workflow", NpgsqlDbType.Jsonb, workflow.ToJsonString());
        command.Parameters.AddWithValue("webhook", (object?)webhookUrl ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM comfy_jobs WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<JobRow?> FindAsync(Guid id, string? owner, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM comfy_jobs WHERE id = @id AND (@owner::text IS NULL OR owner = @owner)");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("owner", NpgsqlDbType.Text, (object?)owner ?? DBNull.Value);
        return (await ReadRowsAsync(command, cancellationToken)).FirstOrDefault();
    }

    /// <summary>A page of jobs, newest first, with the total that match; <paramref name="owner"/> null lists everyone's.</summary>
    public async Task<(List<JobRow> Rows, int Total)> ListAsync(string? owner, string? status, int limit, int offset, CancellationToken cancellationToken)
    {
        const string Where = "WHERE (@owner::text IS NULL OR owner = @owner) AND (@status::text IS NULL OR status = @status)";
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM comfy_jobs {Where} ORDER BY created_at DESC, id LIMIT @limit OFFSET @offset");
        await using var count = dataSource.CreateCommand($"SELECT count(*) FROM comfy_jobs {Where}");
        foreach (var c in (NpgsqlCommand[])[command, count])
        {
            c.Parameters.AddWithValue("owner", NpgsqlDbType.Text, (object?)owner ?? DBNull.Value);
            c.Parameters.AddWithValue("status", NpgsqlDbType.Text, (object?)status ?? DBNull.Value);
        }
        command.Parameters.AddWithValue("limit", limit);
        command.Parameters.AddWithValue("offset", offset);
        var rows = await ReadRowsAsync(command, cancellationToken);
        return (rows, (int)(long)(await count.ExecuteScalarAsync(cancellationToken))!);
    }

    /// <summary>The job's status, or null for a job that does not exist (any more).</summary>
    public async Task<string?> ReadStatusAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT status FROM comfy_jobs WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>Writes what changed about an in-flight job; a null argument leaves that column as it is. The end is <see cref="EndAsync"/>.</summary>
    public async Task UpdateAsync(Guid id, string? status = null, string? server = null, string? promptId = null, int? attempts = null,
        DateTimeOffset? startedAt = null, bool? cancelRequested = null, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE comfy_jobs SET
                status = coalesce(@status, status), server = coalesce(@server, server), prompt_id = coalesce(@prompt, prompt_id),
                attempts = coalesce(@attempts, attempts), started_at = coalesce(@started, started_at), cancel_requested = coalesce(@cancel, cancel_requested)
            WHERE id = @id
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("status", NpgsqlDbType.Text, (object?)status ?? DBNull.Value);
        command.Parameters.AddWithValue("server", NpgsqlDbType.Text, (object?)server ?? DBNull.Value);
        command.Parameters.AddWithValue("prompt", NpgsqlDbType.Text, (object?)promptId ?? DBNull.Value);
        command.Parameters.AddWithValue("attempts", NpgsqlDbType.Integer, (object?)attempts ?? DBNull.Value);
        command.Parameters.AddWithValue("started", NpgsqlDbType.TimestampTz, (object?)startedAt ?? DBNull.Value);
        command.Parameters.AddWithValue("cancel", NpgsqlDbType.Boolean, (object?)cancelRequested ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RecordWebhookAsync(Guid id, int attempts, bool delivered, string? error, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE comfy_jobs SET webhook_attempts = @attempts, webhook_delivered_at = CASE WHEN @delivered THEN now() END, webhook_error = @error WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("attempts", attempts);
        command.Parameters.AddWithValue("delivered", delivered);
        command.Parameters.AddWithValue("error", NpgsqlDbType.Text, (object?)error ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task AppendEventAsync(JobEvent jobEvent, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand();
        AppendEventCommand(command, jobEvent);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The final transition in one transaction: the status, times, error and outputs, and the event that ends the
    /// job's streams, so a job is never final without its end event, nor the other way round.
    /// </summary>
    public async Task EndAsync(Guid id, string status, DateTimeOffset endedAt, string? error, IReadOnlyList<string> outputs, JobEvent end, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var update = new NpgsqlCommand(
            "UPDATE comfy_jobs SET status = @status, ended_at = @ended, error = @error, outputs = @outputs WHERE id = @id", connection, transaction))
        {
            update.Parameters.AddWithValue("id", id);
            update.Parameters.AddWithValue("status", status);
            update.Parameters.AddWithValue("ended", endedAt);
            update.Parameters.AddWithValue("error", NpgsqlDbType.Text, (object?)error ?? DBNull.Value);
            update.Parameters.AddWithValue("outputs", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(outputs));
            await update.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var append = new NpgsqlCommand(null, connection, transaction))
        {
            AppendEventCommand(append, end);
            await append.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private static void AppendEventCommand(NpgsqlCommand command, JobEvent jobEvent)
    {
        command.CommandText = "INSERT INTO comfy_job_events (job_id, seq, type, data, created_at) VALUES (@job, @seq, @type, @data, @at)";
        command.Parameters.AddWithValue("job", jobEvent.WorkflowId);
        command.Parameters.AddWithValue("seq", jobEvent.Sequence);
        command.Parameters.AddWithValue("type", jobEvent.Type);
        command.Parameters.AddWithValue("data", NpgsqlDbType.Jsonb, jobEvent.Data.ToJsonString());
        command.Parameters.AddWithValue("at", jobEvent.CreatedAt);
    }

    public async Task<List<JobEvent>> ReadEventsAsync(Guid id, long fromSequence, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT seq, type, data, created_at FROM comfy_job_events WHERE job_id = @job AND seq >= @from ORDER BY seq LIMIT @limit");
        command.Parameters.AddWithValue("job", id);
        command.Parameters.AddWithValue("from", fromSequence);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<JobEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new JobEvent(id, reader.GetInt64(0), reader.GetString(1), JsonNode.Parse(reader.GetString(2))!.AsObject(), reader.GetFieldValue<DateTimeOffset>(3)));
        }
        return events;
    }

    /// <summary>The job's newest sequence (0 before its first event) and its newest progress tick, if any.</summary>
    public async Task<(long LastSequence, JsonObject? Progress)> ReadPositionAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT coalesce((SELECT max(seq) FROM comfy_job_events WHERE job_id = @job), 0),
                   (SELECT data FROM comfy_job_events WHERE job_id = @job AND type = 'progress' ORDER BY seq DESC LIMIT 1)
            """);
        command.Parameters.AddWithValue("job", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.IsDBNull(1) ? null : JsonNode.Parse(reader.GetString(1))!.AsObject());
    }

    private static async Task<List<JobRow>> ReadRowsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<JobRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            DateTimeOffset? Time(int i) => reader.IsDBNull(i) ? null : reader.GetFieldValue<DateTimeOffset>(i);
            rows.Add(new JobRow(
                reader.GetGuid(0), Text(1), Text(2), Text(3), Text(4), reader.GetString(5), JsonNode.Parse(reader.GetString(6))!.AsObject(), Text(7),
                Text(8) is { } outputs ? JsonSerializer.Deserialize<string[]>(outputs)! : [], Text(9), reader.GetFieldValue<DateTimeOffset>(10), Time(11), Time(12),
                reader.GetInt32(13), reader.GetBoolean(14), reader.GetInt32(15), Time(16), Text(17)));
        }
        return rows;
    }
}
