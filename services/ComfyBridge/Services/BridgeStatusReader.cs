using AgentFleet.ComfyBridge.ComfyUi;
using AgentFleet.ComfyBridge.Contracts;
using AgentFleet.ComfyBridge.Jobs;

namespace AgentFleet.ComfyBridge.Services;

/// <summary>
/// The bridge's state for <c>GetBridgeStatus</c> and <c>GET /v1/comfyui/status</c>: each server asked now for its
/// queue (<c>/queue</c>) and devices (<c>/system_stats</c>), a server that does not answer within 3 s shown unreachable.
/// </summary>
public sealed class BridgeStatusReader(ComfyServerPool pool, JobTracker tracker, JobStore store)
{
    public async Task<BridgeStatus> ReadAsync(CancellationToken cancellationToken)
    {
        var status = new BridgeStatus { Configured = pool.IsConfigured, ActiveJobs = await ActiveJobsAsync(cancellationToken) };
        status.Servers.AddRange(await Task.WhenAll(pool.Servers.Select(server => ReadServerAsync(server, cancellationToken))));
        status.Summary = !status.Configured ? "not configured" : status.Servers.Any(s => s.Reachable) ? "available" : "unreachable";
        return status;
    }

    /// <summary>Every replica's jobs, from the database; this replica's own while the database cannot be asked.</summary>
    private async Task<int> ActiveJobsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await store.CountInFlightAsync(cancellationToken);
        }
        catch (Npgsql.NpgsqlException)
        {
            return tracker.InFlight;
        }
    }

    private static async Task<Contracts.ComfyServer> ReadServerAsync(ComfyUi.ComfyServer server, CancellationToken cancellationToken)
    {
        var result = new Contracts.ComfyServer { Url = server.Url, Connected = server.Connected };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            var queue = server.Client.GetQueueAsync(timeout.Token);
            var devices = server.Client.GetDevicesAsync(timeout.Token);
            result.QueueRunning = (await queue).Running.Count;
            result.QueuePending = (await queue).Pending.Count;
            result.Gpus.AddRange((await devices).Select(d => new Gpu { Name = d.Name, Type = d.Type, VramTotalBytes = d.VramTotal, VramFreeBytes = d.VramFree }));
            result.Reachable = true;
        }
        catch (Exception e) when (ComfyUiClient.Unanswered(e, cancellationToken))
        {
            result.Error = e is OperationCanceledException ? "timed out" : e.Message;
        }
        if (!result.Reachable && server.LastError is { } last && result.Error.Length == 0)
        {
            result.Error = last;
        }
        return result;
    }
}
