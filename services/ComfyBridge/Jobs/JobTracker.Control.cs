using System.Text.Json.Nodes;
using AgentFleet.ComfyBridge.ComfyUi;
using AgentFleet.ComfyBridge.Model;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ServiceDefaults.Security;

namespace AgentFleet.ComfyBridge.Jobs;

public sealed partial class JobTracker
{
    private static readonly TimeSpan CancelWait = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Places a workflow on the least busy server and queues it there. The job is recorded and followed before its
    /// prompt is sent, under a prompt id the bridge chose, and its gate is held until ComfyUI has answered, so the
    /// messages about it wait for the <c>queued</c> event instead of going unclaimed or ahead of it.
    /// </summary>
    public async Task<JobRow> SubmitAsync(CallerIdentity caller, JsonObject workflow, string? webhookUrl, CancellationToken cancellationToken)
    {
        if (!pool.IsConfigured)
        {
            throw ComfyProblems.NotConfigured();
        }
        var server = await pool.PickLeastBusyAsync(cancellationToken) ?? throw ComfyProblems.Unavailable();
        var id = Guid.NewGuid();
        var promptId = id.ToString();
        await store.InsertAsync(id, options.Value.BridgeId, caller.Owner, caller.KeyId, server.Url, promptId, workflow, webhookUrl, cancellationToken);
        var job = Track((await store.FindAsync(id, null, cancellationToken))!, 0, submitting: true);
        // From here on the caller leaving changes nothing: ComfyUI may have the prompt, and the job must follow it.
        await job.Gate.WaitAsync(CancellationToken.None);
        try
        {
            string? queuedAs;
            try
            {
                queuedAs = (await server.Client.QueuePromptAsync(workflow, options.Value.SocketClientId, promptId, CancellationToken.None)).PromptId;
            }
            catch (ComfyUiRejectedException rejected)
            {
                await ForgetAsync(job);
                throw new ComfyRejection(rejected);
            }
            catch (Exception e) when (ComfyUiClient.Unanswered(e, CancellationToken.None))
            {
                // The answer was lost, not necessarily the prompt: ComfyUI is asked whether it has it.
                queuedAs = await HasPromptAsync(server, promptId) ? promptId : null;
                if (queuedAs is null)
                {
                    server.LastError = e.Message;
                    await ForgetAsync(job);
                    throw ComfyProblems.Unavailable();
                }
            }
            await AdoptPromptIdAsync(job, queuedAs);
            await EmitAsync(job, JobEventTypes.Status, new JsonObject { ["status"] = JobStatus.Queued, ["server"] = server.Url }, CancellationToken.None);
        }
        finally
        {
            job.Submitting = false;
            job.Gate.Release();
        }
        metrics.Submitted();
        return job.Row;
    }

    /// <summary>
    /// A ComfyUI that predates client-chosen prompt ids answers with its own; the job follows that one from then on
    /// (its early messages are lost, and the reconcile reads its end from the history).
    /// </summary>
    private async Task AdoptPromptIdAsync(TrackedJob job, string queuedAs)
    {
        if (queuedAs == job.Row.PromptId)
        {
            return;
        }
        await store.UpdateAsync(job.Row.Id, promptId: queuedAs, cancellationToken: CancellationToken.None);
        _byPrompt[queuedAs] = job.Row.Id;
        if (job.Row.PromptId is not null)
        {
            _byPrompt.TryRemove(job.Row.PromptId, out _);
        }
        job.Row = job.Row with { PromptId = queuedAs };
    }

    private static async Task<bool> HasPromptAsync(ComfyServer server, string promptId)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var queue = await server.Client.GetQueueAsync(timeout.Token);
            return queue.Running.Contains(promptId) || queue.Pending.Contains(promptId) || await server.Client.GetHistoryAsync(promptId, timeout.Token) is not null;
        }
        catch (Exception e) when (ComfyUiClient.Unanswered(e, CancellationToken.None))
        {
            return false;
        }
    }

    /// <summary>A submission that never reached ComfyUI: no trace of it stays, so the list never shows a workflow that never was.</summary>
    private async Task ForgetAsync(TrackedJob job)
    {
        Untrack(job);
        await store.DeleteAsync(job.Row.Id, CancellationToken.None);
    }

    /// <summary>
    /// Cancels one job: removed from ComfyUI's queue while it waits, interrupted (that prompt only) while it runs.
    /// Returns the job as it stands once it has ended, or after a short wait; null when it no longer exists. A job
    /// another replica follows is cancelled through it (<c>JobTracker.Elsewhere.cs</c>); one whose replica is gone is
    /// claimed, then cancelled here.
    /// </summary>
    public async Task<JobRow?> CancelAsync(Guid id, CancellationToken cancellationToken)
    {
        if (_jobs.TryGetValue(id, out var job) || (job = await TryClaimAsync(id, cancellationToken)) is not null)
        {
            return await CancelFollowedAsync(job, cancellationToken);
        }
        return await CancelElsewhereAsync(id, cancellationToken);
    }

    /// <summary>A cancel another replica passed on: carried out if this bridge follows the job, else nothing (it has ended).</summary>
    public async Task CancelForwardedAsync(Guid id, CancellationToken cancellationToken)
    {
        if (_jobs.TryGetValue(id, out var job))
        {
            await CancelFollowedAsync(job, cancellationToken);
        }
    }

    private async Task<JobRow> CancelFollowedAsync(TrackedJob job, CancellationToken cancellationToken)
    {
        var id = job.Row.Id;
        await job.Gate.WaitAsync(cancellationToken);
        try
        {
            if (JobStatus.IsFinal(job.Row.Status))
            {
                return job.Row;
            }
            await store.UpdateAsync(id, cancelRequested: true, cancellationToken: cancellationToken);
            job.Row = job.Row with { CancelRequested = true };
            var server = pool.Find(job.Row.Server);
            var promptId = job.Row.PromptId!;
            try
            {
                var queue = server is null ? null : await server.Client.GetQueueAsync(cancellationToken);
                if (server is not null && queue!.Running.Contains(promptId))
                {
                    // ComfyUI answers with execution_interrupted, which ends the job as cancelled.
                    await server.Client.InterruptAsync(promptId, cancellationToken);
                }
                else if (server is not null && queue!.Pending.Contains(promptId))
                {
                    await server.Client.DeleteFromQueueAsync([promptId], cancellationToken);
                    if ((await server.Client.GetQueueAsync(cancellationToken)).Running.Contains(promptId))
                    {
                        // It started between the look and the delete: interrupted instead, ending as cancelled.
                        await server.Client.InterruptAsync(promptId, cancellationToken);
                    }
                    else
                    {
                        await EndAsync(job, JobStatus.Cancelled, null, [], cancellationToken);
                    }
                }
                else if (server is not null && await server.Client.GetHistoryAsync(promptId, cancellationToken) is { } history)
                {
                    // It ended before the cancel reached ComfyUI: it ends as ComfyUI says.
                    await FinishAsync(job, server, ComfyHistory.Parse(history), cancellationToken);
                }
                else
                {
                    await EndAsync(job, JobStatus.Cancelled, null, [], cancellationToken);
                }
            }
            catch (Exception e) when (ComfyUiClient.Unanswered(e, cancellationToken))
            {
                // ComfyUI cannot be told; the job ends here, and whatever ComfyUI still does with the prompt is ignored.
                LogCancelUnreachable(logger, id, e.Message);
                await EndAsync(job, JobStatus.Cancelled, null, [], cancellationToken);
            }
        }
        finally
        {
            job.Gate.Release();
        }
        await Task.WhenAny(job.Ended.Task, Task.Delay(CancelWait, time, cancellationToken));
        return job.Row;
    }

    [LoggerMessage(LogLevel.Warning, "Workflow {WorkflowId} was cancelled while its ComfyUI server was unreachable: {Reason}")]
    private static partial void LogCancelUnreachable(ILogger logger, Guid workflowId, string reason);
}

/// <summary>ComfyUI refused a workflow; the API answers 400 with ComfyUI's own error and node errors.</summary>
public sealed class ComfyRejection(ComfyUiRejectedException inner) : Exception(inner.Message, inner)
{
    public JsonObject? Error => inner.Error;
    public JsonObject? NodeErrors => inner.NodeErrors;
}
