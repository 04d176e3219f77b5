using Npgsql;

namespace AgentFleet.ComfyBridge.Infrastructure;

/// <summary>
/// <c>comfy_bridges</c>: one row per bridge sharing the database, its heartbeat renewed every <c>BridgeHeartbeat</c>.
/// A row not renewed within the lease marks a bridge gone, whose jobs the others claim (<c>JobStore.Ownership.cs</c>).
/// </summary>
public sealed class BridgeRegistry(NpgsqlDataSource dataSource)
{
    /// <summary>Renews the bridge's lease (PostgreSQL's clock); <paramref name="starting"/> also records when it started.</summary>
    public async Task HeartbeatAsync(string bridgeId, bool starting, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO comfy_bridges (bridge_id, heartbeat_at, started_at) VALUES (@id, now(), now())
            ON CONFLICT (bridge_id) DO UPDATE SET heartbeat_at = now(), started_at = CASE WHEN @starting THEN now() ELSE comfy_bridges.started_at END
            """);
        command.Parameters.AddWithValue("id", bridgeId);
        command.Parameters.AddWithValue("starting", starting);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Gives up the lease at once, so the jobs still in flight pass to another bridge at its next heartbeat.</summary>
    public async Task RemoveAsync(string bridgeId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM comfy_bridges WHERE bridge_id = @id");
        command.Parameters.AddWithValue("id", bridgeId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
