namespace AgentFleet.ComfyBridge.Jobs;

public sealed partial class JobTracker
{
    /// <summary>
    /// Follows the in-flight jobs this bridge claims (<c>JobStore.Ownership.cs</c>), and delivers the webhooks it claims.
    /// At start (<paramref name="starting"/>) that includes its own from a previous run; on each heartbeat, the jobs and
    /// webhooks of bridges whose lease expired, and unowned ones. Its own running jobs it already follows.
    /// </summary>
    public async Task ClaimAsync(bool starting, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        foreach (var row in await store.ClaimInFlightAsync(settings.BridgeId, settings.Lease, starting, cancellationToken))
        {
            if (!_jobs.ContainsKey(row.Id))
            {
                var (last, _) = await store.ReadPositionAsync(row.Id, cancellationToken);
                Track(row, last);
                if (!starting)
                {
                    LogClaimed(logger, row.Id);
                }
            }
        }
        foreach (var row in await store.ClaimUndeliveredWebhooksAsync(settings.BridgeId, settings.Lease, starting, settings.WebhookAttempts, cancellationToken))
        {
            webhooks.Deliver(row);
        }
    }

    /// <summary>
    /// Lets go of jobs another bridge claimed while this one could not renew its lease (PostgreSQL was unreachable for
    /// that long): from then on only their new owner follows them.
    /// </summary>
    public async Task ReleaseClaimedByOthersAsync(CancellationToken cancellationToken)
    {
        if (_jobs.IsEmpty)
        {
            return;
        }
        foreach (var id in await store.ListClaimedByOthersAsync(options.Value.BridgeId, [.. _jobs.Keys], cancellationToken))
        {
            if (_jobs.TryGetValue(id, out var job))
            {
                await job.Gate.WaitAsync(cancellationToken);
                try
                {
                    Untrack(job);
                }
                finally
                {
                    job.Gate.Release();
                }
                LogReleased(logger, id);
            }
        }
    }

    /// <summary>Follows one job no live bridge follows (its bridge is gone), so a request about it can be served here.</summary>
    private async Task<TrackedJob?> TryClaimAsync(Guid id, CancellationToken cancellationToken)
    {
        if (await store.ClaimOneAsync(id, options.Value.BridgeId, options.Value.Lease, cancellationToken) is not { } row)
        {
            return null;
        }
        var (last, _) = await store.ReadPositionAsync(row.Id, cancellationToken);
        LogClaimed(logger, row.Id);
        return Track(row, last);
    }

    [LoggerMessage(LogLevel.Information, "Workflow {WorkflowId} is followed by this bridge now: the bridge that followed it stopped renewing its lease")]
    private static partial void LogClaimed(ILogger logger, Guid workflowId);

    [LoggerMessage(LogLevel.Warning, "Workflow {WorkflowId} was claimed by another bridge while this one missed its lease; it is no longer followed here")]
    private static partial void LogReleased(ILogger logger, Guid workflowId);
}
