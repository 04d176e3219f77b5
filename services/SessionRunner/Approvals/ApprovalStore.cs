using AgentFleet.SessionRunner.Contracts;
using Google.Protobuf.WellKnownTypes;
using Npgsql;
using NpgsqlTypes;

namespace AgentFleet.SessionRunner.Approvals;

/// <summary>
/// <c>approvals</c>: each queued tool use, and its decision. A decision is one conditional update (pending → decided),
/// so a person and the timeout deciding at the same moment cannot both win.
/// </summary>
public sealed class ApprovalStore(NpgsqlDataSource dataSource)
{
    private const string Columns =
        "id, session_id, owner, tool_name, tool_use_id, input::text, risk, reason, status, decided_by, decided_at, message, updated_input::text, created_at";

    public async Task InsertAsync(Approval approval, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO approvals (id, session_id, owner, tool_name, tool_use_id, input, risk, reason)
            VALUES (@id, @session, @owner, @tool, @toolUse, @input, @risk, @reason)
            """);
        command.Parameters.AddWithValue("id", Guid.Parse(approval.Id));
        command.Parameters.AddWithValue("session", Guid.Parse(approval.SessionId));
        command.Parameters.AddWithValue("owner", approval.Owner);
        command.Parameters.AddWithValue("tool", approval.ToolName);
        command.Parameters.AddWithValue("toolUse", approval.ToolUseId is { Length: > 0 } toolUse ? toolUse : DBNull.Value);
        command.Parameters.AddWithValue("input", NpgsqlDbType.Jsonb, approval.InputJson);
        command.Parameters.AddWithValue("risk", approval.Risk);
        command.Parameters.AddWithValue("reason", approval.Reason);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Moves a pending approval to <paramref name="status"/>. Null when it was not pending (or is another owner's,
    /// when <paramref name="owner"/> is given): <see cref="FindAsync"/> tells which.
    /// </summary>
    public async Task<Approval?> DecideAsync(Guid id, string? owner, string status, string decidedBy, string? message, string? updatedInputJson, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            UPDATE approvals SET status = @status, decided_by = @by, decided_at = now(), message = @message, updated_input = @updated
            WHERE id = @id AND status = 'pending' AND (@owner::text IS NULL OR owner = @owner)
            RETURNING {Columns}
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("owner", (object?)owner ?? DBNull.Value);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.AddWithValue("by", decidedBy);
        command.Parameters.AddWithValue("message", (object?)message ?? DBNull.Value);
        command.Parameters.AddWithValue("updated", NpgsqlDbType.Jsonb, (object?)updatedInputJson ?? DBNull.Value);
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<Approval?> FindAsync(Guid id, string? owner, CancellationToken cancellationToken) =>
        (await ListAsync(owner, null, null, id, 1, cancellationToken)).SingleOrDefault();

    /// <summary>Oldest first, as a queue is worked through.</summary>
    public async Task<List<Approval>> ListAsync(string? owner, string? status, Guid? sessionId, Guid? id, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {Columns} FROM approvals
            WHERE (@owner::text IS NULL OR owner = @owner) AND (@status::text IS NULL OR status = @status)
              AND (@session::uuid IS NULL OR session_id = @session) AND (@id::uuid IS NULL OR id = @id)
            ORDER BY created_at, id LIMIT @limit
            """);
        command.Parameters.AddWithValue("owner", (object?)owner ?? DBNull.Value);
        command.Parameters.AddWithValue("status", (object?)status ?? DBNull.Value);
        command.Parameters.AddWithValue("session", NpgsqlDbType.Uuid, (object?)sessionId ?? DBNull.Value);
        command.Parameters.AddWithValue("id", NpgsqlDbType.Uuid, (object?)id ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", limit);
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>Expires what the given sessions were waiting for: nobody waits for those answers any more.</summary>
    public async Task<int> ExpirePendingAsync(IReadOnlyList<Guid> sessionIds, string message, CancellationToken cancellationToken)
    {
        if (sessionIds.Count == 0)
        {
            return 0;
        }
        await using var command = dataSource.CreateCommand(
            "UPDATE approvals SET status = 'expired', decided_by = 'runner', decided_at = now(), message = @message WHERE status = 'pending' AND session_id = ANY(@sessions)");
        command.Parameters.AddWithValue("sessions", sessionIds.ToArray());
        command.Parameters.AddWithValue("message", message);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<Approval>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var approvals = new List<Approval>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var approval = new Approval
            {
                Id = reader.GetGuid(0).ToString(),
                SessionId = reader.GetGuid(1).ToString(),
                Owner = reader.GetString(2),
                ToolName = reader.GetString(3),
                ToolUseId = reader.IsDBNull(4) ? "" : reader.GetString(4),
                InputJson = reader.GetString(5),
                Risk = reader.GetString(6),
                Reason = reader.GetString(7),
                Status = reader.GetString(8),
                DecidedBy = reader.IsDBNull(9) ? "" : reader.GetString(9),
                Message = reader.IsDBNull(11) ? "" : reader.GetString(11),
                UpdatedInputJson = reader.IsDBNull(12) ? "" : reader.GetString(12),
                CreatedAt = Timestamp.FromDateTimeOffset(reader.GetFieldValue<DateTimeOffset>(13)),
            };
            if (!reader.IsDBNull(10))
            {
                approval.DecidedAt = Timestamp.FromDateTimeOffset(reader.GetFieldValue<DateTimeOffset>(10));
            }
            approvals.Add(approval);
        }
        return approvals;
    }
}
