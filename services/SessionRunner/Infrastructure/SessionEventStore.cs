using AgentFleet.SessionRunner.Contracts;
using AgentFleet.SessionRunner.Model;
using Google.Protobuf.WellKnownTypes;
using Npgsql;
using NpgsqlTypes;

namespace AgentFleet.SessionRunner.Infrastructure;

/// <summary>
/// <c>session_events</c> in PostgreSQL. The runner is its only writer and reader; other services read history through
/// the runner's ReadEvents and WatchSession.
/// </summary>
public sealed class SessionEventStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, session_id, seq, type, role, content, metadata, raw, created_at";

    /// <summary>
    /// One round trip for the whole batch. A retry of a batch that did commit (its reply was lost) inserts
    /// nothing twice: (session_id, seq) is unique and conflicts are skipped.
    /// </summary>
    public async Task AppendAsync(IReadOnlyList<SessionEvent> batch, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            INSERT INTO session_events ({Columns})
            SELECT * FROM unnest(@id, @session_id, @seq, @type, @role, @content, @metadata, @raw, @created_at)
            ON CONFLICT (session_id, seq) DO NOTHING
            """);
        command.Parameters.Add(Array("id", NpgsqlDbType.Uuid, batch, e => Guid.Parse(e.Id)));
        command.Parameters.Add(Array("session_id", NpgsqlDbType.Uuid, batch, e => Guid.Parse(e.SessionId)));
        command.Parameters.Add(Array("seq", NpgsqlDbType.Bigint, batch, e => e.Sequence));
        command.Parameters.Add(Array("type", NpgsqlDbType.Text, batch, e => e.Type));
        command.Parameters.Add(Array("role", NpgsqlDbType.Text, batch, e => e.Role));
        command.Parameters.Add(Array<string?>("content", NpgsqlDbType.Text, batch, e => e.Content));
        command.Parameters.Add(Array<string?>("metadata", NpgsqlDbType.Jsonb, batch, e => e.MetadataJson is { Length: > 0 } json ? json : null));
        command.Parameters.Add(Array<string?>("raw", NpgsqlDbType.Text, batch, e => e.Raw is { Length: > 0 } raw ? raw : null));
        command.Parameters.Add(Array("created_at", NpgsqlDbType.TimestampTz, batch, e => e.CreatedAt.ToDateTime()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Events with a sequence of at least <paramref name="fromSequence"/>, in order, at most <paramref name="limit"/>.</summary>
    public async Task<List<SessionEvent>> ReadAsync(Guid sessionId, long fromSequence, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM session_events WHERE session_id = @session_id AND seq >= @from ORDER BY seq LIMIT @limit");
        command.Parameters.AddWithValue("session_id", sessionId);
        command.Parameters.AddWithValue("from", fromSequence);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<SessionEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var sessionEvent = new SessionEvent
            {
                Id = reader.GetGuid(0).ToString(),
                SessionId = reader.GetGuid(1).ToString(),
                Sequence = reader.GetInt64(2),
                Type = reader.GetString(3),
                Role = reader.IsDBNull(4) ? "" : reader.GetString(4),
                Content = reader.IsDBNull(5) ? "" : reader.GetString(5),
                MetadataJson = reader.IsDBNull(6) ? "" : reader.GetString(6),
                Raw = reader.IsDBNull(7) ? "" : reader.GetString(7),
                CreatedAt = Timestamp.FromDateTime(reader.GetFieldValue<DateTime>(8)),
            };
            sessionEvent.EndsRun = SessionEvents.EndsRun(sessionEvent);
            events.Add(sessionEvent);
        }
        return events;
    }

    /// <summary>The last persisted sequence, 0 when there is none: where numbering resumes after a restart.</summary>
    public async Task<long> MaxSequenceAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT coalesce(max(seq), 0) FROM session_events WHERE session_id = @session_id");
        command.Parameters.AddWithValue("session_id", sessionId);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static NpgsqlParameter Array<T>(string name, NpgsqlDbType type, IReadOnlyList<SessionEvent> batch, Func<SessionEvent, T> value)
    {
        var values = new T[batch.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = value(batch[i]);
        }
        return new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = values };
    }
}
