using Npgsql;

namespace AgentFleet.ComfyBridge.Jobs;

/// <summary>
/// Which bridge follows a job (<c>comfy_jobs.bridge_id</c>). A bridge claims, in one UPDATE, the jobs nobody owns (recorded
/// before replicas), and those of a bridge whose row in <c>comfy_bridges</c> was not renewed within the lease; a job
/// whose bridge is alive is never taken. PostgreSQL's clock judges every lease, so the replicas' clocks need not agree.
/// </summary>
public sealed partial class JobStore
{
    private const string InFlight = "j.status IN ('queued', 'running')";

    private const string WebhookDue =
        "j.webhook_url IS NOT NULL AND j.webhook_delivered_at IS NULL AND j.webhook_attempts < @max AND j.status IN ('completed', 'failed', 'cancelled')";

    /// <summary>
    /// Claims the in-flight jobs this bridge should follow: unowned ones, those of bridges whose lease expired, and, with
    /// <paramref name="includeOwn"/> (at start, when nothing is followed yet), its own from a previous run.
    /// </summary>
    public Task<List<JobRow>> ClaimInFlightAsync(string bridgeId, TimeSpan lease, bool includeOwn, CancellationToken cancellationToken) =>
        ClaimAsync(InFlight, bridgeId, lease, includeOwn, null, cancellationToken);

    /// <summary>Claims final jobs whose webhook is still to be delivered, on the same terms as <see cref="ClaimInFlightAsync"/>.</summary>
    public Task<List<JobRow>> ClaimUndeliveredWebhooksAsync(string bridgeId, TimeSpan lease, bool includeOwn, int maxAttempts, CancellationToken cancellationToken) =>
        ClaimAsync(WebhookDue, bridgeId, lease, includeOwn, command => command.Parameters.AddWithValue("max", maxAttempts), cancellationToken);

    /// <summary>Claims one in-flight job if nobody alive follows it; null when another bridge does, or it has ended.</summary>
    public async Task<JobRow?> ClaimOneAsync(Guid id, string bridgeId, TimeSpan lease, CancellationToken cancellationToken) =>
        (await ClaimAsync($"j.id = @id AND {InFlight}", bridgeId, lease, false, command => command.Parameters.AddWithValue("id", id), cancellationToken))
            .FirstOrDefault();

    /// <summary>Of <paramref name="ids"/>, those now owned by another bridge (it claimed them while this one missed its lease).</summary>
    public async Task<List<Guid>> ListClaimedByOthersAsync(string bridgeId, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT id FROM comfy_jobs WHERE id = ANY(@ids) AND bridge_id IS DISTINCT FROM @me");
        command.Parameters.AddWithValue("ids", ids.ToArray());
        command.Parameters.AddWithValue("me", bridgeId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var claimed = new List<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(reader.GetGuid(0));
        }
        return claimed;
    }

    /// <summary>
    /// Records that the job is to be cancelled, for whichever bridge follows it; returns whether it was still in flight,
    /// and which bridge owns it (null: none yet).
    /// </summary>
    public async Task<(bool InFlight, string? BridgeId)> RequestCancelAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"UPDATE comfy_jobs j SET cancel_requested = true WHERE j.id = @id AND {InFlight} RETURNING j.bridge_id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (true, reader.IsDBNull(0) ? null : reader.GetString(0)) : (false, null);
    }

    /// <summary>Jobs queued or running, whichever bridge follows them: what the status reports, with several replicas.</summary>
    public async Task<int> CountInFlightAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT count(*) FROM comfy_jobs j WHERE {InFlight}");
        return (int)(long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Whether a cancel was recorded for the job, perhaps by another bridge than the one that follows it.</summary>
    public async Task<bool> IsCancelRequestedAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT cancel_requested FROM comfy_jobs WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    private async Task<List<JobRow>> ClaimAsync(string filter, string bridgeId, TimeSpan lease, bool includeOwn, Action<NpgsqlCommand>? parameters,
        CancellationToken cancellationToken)
    {
        // Two bridges claiming one row at once: the second waits for the first's commit, then sees the row owned by a live
        // bridge and leaves it.
        await using var command = dataSource.CreateCommand(
            $"""
            UPDATE comfy_jobs j SET bridge_id = @me
            WHERE {filter} AND (
                j.bridge_id IS NULL
                OR (j.bridge_id = @me AND @own)
                OR (j.bridge_id <> @me AND NOT EXISTS (
                    SELECT 1 FROM comfy_bridges b WHERE b.bridge_id = j.bridge_id AND b.heartbeat_at > now() - @lease)))
            RETURNING {Columns}
            """);
        command.Parameters.AddWithValue("me", bridgeId);
        command.Parameters.AddWithValue("own", includeOwn);
        command.Parameters.AddWithValue("lease", lease);
        parameters?.Invoke(command);
        var rows = await ReadRowsAsync(command, cancellationToken);
        rows.Sort((a, b) => a.CreatedAt.CompareTo(b.CreatedAt));
        return rows;
    }
}
