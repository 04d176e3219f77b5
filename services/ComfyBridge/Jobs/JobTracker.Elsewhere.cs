using AgentFleet.ComfyBridge.ComfyUi;
using AgentFleet.ComfyBridge.Model;

namespace AgentFleet.ComfyBridge.Jobs;

public sealed partial class JobTracker
{
    private static readonly TimeSpan EndPoll = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Cancels a job another live replica follows. The request is recorded in PostgreSQL, then passed to that replica
    /// through Redis, which cancels it as if it had been asked itself. When it cannot be reached so, the prompt is
    /// interrupted or taken off ComfyUI's queue from here (ComfyUI is shared), and the following replica, reading the
    /// recorded request, ends the job cancelled. Either way the answer waits for the end, as a local cancel does.
    /// </summary>
    private async Task<JobRow?> CancelElsewhereAsync(Guid id, CancellationToken cancellationToken)
    {
        var (inFlight, owner) = await store.RequestCancelAsync(id, cancellationToken);
        if (inFlight && (owner is null || !await bus.RequestCancelAsync(owner, id, cancellationToken))
            && await store.FindAsync(id, null, cancellationToken) is { } row)
        {
            await StopOnComfyUiAsync(row, cancellationToken);
        }
        var deadline = time.GetUtcNow() + CancelWait;
        while (true)
        {
            var current = await store.FindAsync(id, null, cancellationToken);
            if (current is null || JobStatus.IsFinal(current.Status) || time.GetUtcNow() >= deadline)
            {
                return current;
            }
            await Task.Delay(EndPoll, time, cancellationToken);
        }
    }

    private async Task StopOnComfyUiAsync(JobRow row, CancellationToken cancellationToken)
    {
        if (pool.Find(row.Server) is not { } server || row.PromptId is not { } promptId)
        {
            return;
        }
        try
        {
            var queue = await server.Client.GetQueueAsync(cancellationToken);
            if (queue.Pending.Contains(promptId))
            {
                // Its replica finds it in neither queue nor history at its next check, and ends it cancelled.
                await server.Client.DeleteFromQueueAsync([promptId], cancellationToken);
                queue = await server.Client.GetQueueAsync(cancellationToken);
            }
            if (queue.Running.Contains(promptId))
            {
                // ComfyUI tells the replica that queued it execution_interrupted, which ends the job cancelled.
                await server.Client.InterruptAsync(promptId, cancellationToken);
            }
        }
        catch (Exception e) when (ComfyUiClient.Unanswered(e, cancellationToken))
        {
            LogCancelUnreachable(logger, row.Id, e.Message);
        }
    }
}
