using AgentFleet.SessionRunner.Contracts;
using Google.Protobuf.WellKnownTypes;
using Npgsql;

namespace AgentFleet.SessionRunner.Infrastructure;

/// <summary>
/// <c>runners</c>: each runner sharing the database, where it is reached and how loaded it is, renewed by its
/// heartbeat; and which runner owns each session (<c>agent_sessions.runner_id</c>).
/// </summary>
public sealed class RunnerRegistry(NpgsqlDataSource dataSource)
{
    /// <summary>Records (or renews) <paramref name="status"/> as alive now.</summary>
    public async Task BeatAsync(RunnerStatus status, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO runners (runner_id, grpc_address, active, queued, max_concurrent, sandbox_available, started_at, heartbeat_at)
            VALUES (@id, @address, @active, @queued, @max, @sandbox, @started, now())
            ON CONFLICT (runner_id) DO UPDATE SET grpc_address = excluded.grpc_address, active = excluded.active, queued = excluded.queued,
                max_concurrent = excluded.max_concurrent, sandbox_available = excluded.sandbox_available, started_at = excluded.started_at,
                heartbeat_at = now()
            """);
        command.Parameters.AddWithValue("id", status.RunnerId);
        command.Parameters.AddWithValue("address", status.GrpcAddress.Length > 0 ? status.GrpcAddress : DBNull.Value);
        command.Parameters.AddWithValue("active", status.Active);
        command.Parameters.AddWithValue("queued", status.Queued);
        command.Parameters.AddWithValue("max", status.MaxConcurrent);
        command.Parameters.AddWithValue("sandbox", status.SandboxAvailable);
        command.Parameters.AddWithValue("started", startedAt);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A runner that stops says so, so no session is placed on it while its lease runs out.</summary>
    public async Task LeaveAsync(string runnerId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM runners WHERE runner_id = @id");
        command.Parameters.AddWithValue("id", runnerId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The sessions whose directories this runner holds are its own, whoever recorded them (rows from before runners
    /// had ids, or a runner renamed): ownership follows the volume.
    /// </summary>
    public async Task ClaimAsync(string runnerId, IReadOnlyCollection<Guid> sessions, CancellationToken cancellationToken)
    {
        if (sessions.Count == 0)
        {
            return;
        }
        await using var command = dataSource.CreateCommand(
            "UPDATE agent_sessions SET runner_id = @id WHERE id = ANY(@sessions) AND runner_id IS DISTINCT FROM @id");
        command.Parameters.AddWithValue("id", runnerId);
        command.Parameters.AddWithValue("sessions", sessions.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Runners whose last heartbeat is within <paramref name="lease"/>, by id.</summary>
    public async Task<RunnerList> ListLiveAsync(TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT runner_id, coalesce(grpc_address, ''), active, queued, max_concurrent, sandbox_available, started_at, heartbeat_at
            FROM runners WHERE heartbeat_at > now() - @lease ORDER BY runner_id
            """);
        command.Parameters.AddWithValue("lease", lease);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new RunnerList();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Runners.Add(new RunnerStatus
            {
                RunnerId = reader.GetString(0),
                GrpcAddress = reader.GetString(1),
                Active = reader.GetInt32(2),
                Queued = reader.GetInt32(3),
                MaxConcurrent = reader.GetInt32(4),
                SandboxAvailable = reader.GetBoolean(5),
                StartedAt = Timestamp.FromDateTimeOffset(reader.GetFieldValue<DateTimeOffset>(6)),
                HeartbeatAt = Timestamp.FromDateTimeOffset(reader.GetFieldValue<DateTimeOffset>(7)),
            });
        }
        return list;
    }
}
