using System.Text.Json.Nodes;
using AgentFleet.ComfyBridge.ComfyUi;
using AgentFleet.ComfyBridge.Model;

namespace AgentFleet.ComfyBridge.Jobs;

public sealed partial class JobTracker
{
    /// <summary>
    /// Brings the jobs on <paramref name="server"/> in line with ComfyUI's own record, for when messages were missed
    /// (the connection dropped, the bridge restarted): a prompt with a history entry ends as it says; one in the queue
    /// is still queued or running; one in neither was lost (ComfyUI restarted) and is queued again, or fails once it
    /// has been queued again <c>Resubmits</c> times.
    /// </summary>
    public async Task ReconcileAsync(ComfyServer server, CancellationToken cancellationToken)
    {
        // Taken before the queue is read: a job whose submission had finished by now must be in the queue or the history.
        var jobs = _jobs.Values.Where(j => j.Row.Server == server.Url && !j.Submitting).ToList();
        if (jobs.Count == 0)
        {
            return;
        }
        var queue = await server.Client.GetQueueAsync(cancellationToken);
        foreach (var job in jobs)
        {
            await job.Gate.WaitAsync(cancellationToken);
            try
            {
                if (JobStatus.IsFinal(job.Row.Status) || job.Row.Server != server.Url || job.Row.PromptId is not { } promptId)
                {
                    continue;
                }
                if (await server.Client.GetHistoryAsync(promptId, cancellationToken) is { } history)
                {
                    await FinishAsync(job, server, ComfyHistory.Parse(history), cancellationToken);
                }
                else if (queue.Running.Contains(promptId))
                {
                    await MarkRunningAsync(job, cancellationToken);
                }
                else if (!queue.Pending.Contains(promptId))
                {
                    await RequeueLostAsync(job, cancellationToken);
                }
            }
            finally
            {
                job.Gate.Release();
            }
        }
    }

    /// <summary>Jobs recorded on a server that is no longer configured are as lost as if it had restarted.</summary>
    public async Task ReconcileOrphansAsync(CancellationToken cancellationToken)
    {
        foreach (var job in _jobs.Values.Where(j => !j.Submitting && pool.Find(j.Row.Server) is null).ToList())
        {
            await job.Gate.WaitAsync(cancellationToken);
            try
            {
                if (!JobStatus.IsFinal(job.Row.Status) && pool.Find(job.Row.Server) is null)
                {
                    await RequeueLostAsync(job, cancellationToken);
                }
            }
            finally
            {
                job.Gate.Release();
            }
        }
    }

    private async Task RequeueLostAsync(TrackedJob job, CancellationToken cancellationToken)
    {
        if (await CancelRequestedAsync(job, cancellationToken))
        {
            await EndAsync(job, JobStatus.Cancelled, null, [], cancellationToken);
            return;
        }
        if (job.Row.Attempts > options.Value.Resubmits)
        {
            await EndAsync(job, JobStatus.Failed, $"ComfyUI lost the workflow (it restarted?) after it had been queued {job.Row.Attempts} times.", [], cancellationToken,
                reason: "lost");
            return;
        }
        var server = await pool.PickLeastBusyAsync(cancellationToken);
        if (server is null)
        {
            return;
        }
        // Claimed before it is sent; its messages wait on the job's gate, held here, until the row names the new prompt.
        var promptId = Guid.NewGuid().ToString();
        _byPrompt[promptId] = job.Row.Id;
        try
        {
            var queuedAs = (await server.Client.QueuePromptAsync(job.Row.Workflow, options.Value.SocketClientId, promptId, cancellationToken)).PromptId;
            if (queuedAs != promptId)
            {
                _byPrompt.TryRemove(promptId, out _);
                _byPrompt[queuedAs] = job.Row.Id;
                promptId = queuedAs;
            }
        }
        catch (Exception e) when (e is ComfyUiRejectedException || ComfyUiClient.Unanswered(e, cancellationToken))
        {
            _byPrompt.TryRemove(promptId, out _);
            LogRequeueFailed(logger, job.Row.Id, e.Message);
            return;
        }
        var attempts = job.Row.Attempts + 1;
        await store.UpdateAsync(job.Row.Id, status: JobStatus.Queued, server: server.Url, promptId: promptId, attempts: attempts, cancellationToken: cancellationToken);
        if (job.Row.PromptId is not null)
        {
            _byPrompt.TryRemove(job.Row.PromptId, out _);
        }
        job.Row = job.Row with { Status = JobStatus.Queued, Server = server.Url, PromptId = promptId, Attempts = attempts };
        LogRequeued(logger, job.Row.Id, server.Url, attempts);
        await EmitAsync(job, JobEventTypes.Status, new JsonObject
        {
            ["status"] = JobStatus.Queued, ["server"] = server.Url, ["attempt"] = attempts,
            ["message"] = "ComfyUI no longer had the workflow (it restarted?); it was queued again.",
        }, cancellationToken);
    }

    [LoggerMessage(LogLevel.Warning, "Workflow {WorkflowId} was lost by ComfyUI and queued again on {Server} (attempt {Attempt})")]
    private static partial void LogRequeued(ILogger logger, Guid workflowId, string server, int attempt);

    [LoggerMessage(LogLevel.Warning, "Workflow {WorkflowId} was lost by ComfyUI and could not be queued again yet: {Reason}")]
    private static partial void LogRequeueFailed(ILogger logger, Guid workflowId, string reason);
}
