using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using AgentFleet.ComfyBridge.ComfyUi;
using AgentFleet.ComfyBridge.Infrastructure;
using AgentFleet.ComfyBridge.Model;
using AgentFleet.ComfyBridge.Options;
using AgentFleet.ComfyBridge.Outputs;
using AgentFleet.ComfyBridge.Telemetry;
using AgentFleet.ComfyBridge.Webhooks;
using Microsoft.Extensions.Options;

namespace AgentFleet.ComfyBridge.Jobs;

/// <summary>
/// Follows every in-flight job: turns ComfyUI's messages about its prompt into numbered events (persisted, then
/// published), moves it through <c>queued → running → completed | failed | cancelled</c>, copies its outputs when it
/// completes, and starts its webhook. Submission and cancellation are in <c>JobTracker.Control.cs</c> (a job another
/// replica follows in <c>JobTracker.Elsewhere.cs</c>), the checks against ComfyUI's queue and history in
/// <c>JobTracker.Reconcile.cs</c>, which jobs this bridge follows among replicas in <c>JobTracker.Ownership.cs</c>.
/// </summary>
public sealed partial class JobTracker(
    JobStore store, JobEventHub hub, BridgeBus bus, OutputStore outputs, ComfyServerPool pool, WebhookSender webhooks, ComfyMetrics metrics,
    IOptions<ComfyOptions> options, TimeProvider time, ILogger<JobTracker> logger)
{
    private readonly ConcurrentDictionary<Guid, TrackedJob> _jobs = new();
    private readonly ConcurrentDictionary<string, Guid> _byPrompt = new();

    /// <summary>Jobs queued or running.</summary>
    public int InFlight => _jobs.Count;

    /// <summary>Applies one ComfyUI message. Messages about prompts the bridge does not follow are ignored.</summary>
    public async Task OnMessageAsync(ComfyServer server, ComfyUiMessage message, CancellationToken cancellationToken)
    {
        if (message.Type == "status")
        {
            server.QueueRemaining = message.Data["status"]?["exec_info"]?["queue_remaining"]?.GetValue<int>() ?? server.QueueRemaining;
            return;
        }
        if (message.Preview is { } preview)
        {
            if (server.ExecutingPrompt is { } executing && _byPrompt.TryGetValue(executing, out var previewed))
            {
                hub.PublishPreview(previewed, preview);
                bus.PublishPreview(previewed, preview);
            }
            return;
        }
        if (message.Type is "execution_start" or "executing")
        {
            server.ExecutingPrompt = message.Data["node"] is null && message.Type == "executing" ? null : message.PromptId;
        }
        if (message.PromptId is not { } promptId || !_byPrompt.TryGetValue(promptId, out var id) || !_jobs.TryGetValue(id, out var job))
        {
            return;
        }
        await job.Gate.WaitAsync(cancellationToken);
        try
        {
            if (JobStatus.IsFinal(job.Row.Status) || job.Row.PromptId != promptId)
            {
                return;
            }
            var data = message.Data;
            switch (message.Type)
            {
                case "execution_start":
                    await MarkRunningAsync(job, cancellationToken);
                    break;
                case "execution_cached":
                    await MarkRunningAsync(job, cancellationToken);
                    await EmitAsync(job, JobEventTypes.Cached, new JsonObject { ["nodes"] = data["nodes"]?.DeepClone() ?? new JsonArray() }, cancellationToken);
                    break;
                case "executing" when data["node"] is null:
                case "execution_success":
                    // ComfyUI writes the history just before it says "executing: null"; until then there is nothing to finish from.
                    if (await server.Client.GetHistoryAsync(promptId, cancellationToken) is { } history)
                    {
                        await FinishAsync(job, server, ComfyHistory.Parse(history), cancellationToken);
                    }
                    break;
                case "executing":
                    await MarkRunningAsync(job, cancellationToken);
                    var node = data["node"]!.GetValue<string>();
                    await EmitAsync(job, JobEventTypes.Executing, new JsonObject { ["node"] = node, ["nodeType"] = NodeType(job, node) }, cancellationToken);
                    break;
                case "progress":
                    await EmitAsync(job, JobEventTypes.Progress, new JsonObject
                    {
                        ["node"] = data["node"]?.DeepClone(), ["value"] = data["value"]?.DeepClone(), ["max"] = data["max"]?.DeepClone(),
                    }, cancellationToken);
                    break;
                case "executed":
                    var files = new JsonArray([.. ComfyHistory.FilesOf(data["output"]).Select(f => (JsonNode)f.FileName)]);
                    await EmitAsync(job, JobEventTypes.Output, new JsonObject { ["node"] = data["node"]?.DeepClone(), ["files"] = files }, cancellationToken);
                    break;
                case "execution_error":
                    await FinishAsync(job, server, new ComfyHistory(ComfyOutcome.Error, data["exception_message"]?.GetValue<string>() ?? "The workflow failed.",
                        data["node_id"]?.GetValue<string>(), []), cancellationToken);
                    break;
                case "execution_interrupted":
                    await FinishAsync(job, server, new ComfyHistory(ComfyOutcome.Interrupted, "The workflow was interrupted.", data["node_id"]?.GetValue<string>(), []), cancellationToken);
                    break;
            }
        }
        finally
        {
            job.Gate.Release();
        }
    }

    /// <summary>Ends a job the way ComfyUI says it ended; under the job's gate.</summary>
    private async Task FinishAsync(TrackedJob job, ComfyServer server, ComfyHistory history, CancellationToken cancellationToken)
    {
        switch (history.Outcome)
        {
            case ComfyOutcome.Interrupted when await CancelRequestedAsync(job, cancellationToken):
                await EndAsync(job, JobStatus.Cancelled, null, [], cancellationToken);
                return;
            case ComfyOutcome.Interrupted:
                await EndAsync(job, JobStatus.Failed, "ComfyUI interrupted the workflow (not through the bridge).", [], cancellationToken, history.ErrorNode, "interrupted");
                return;
            case ComfyOutcome.Error:
                await EndAsync(job, JobStatus.Failed, history.Error, [], cancellationToken, history.ErrorNode, "execution_error");
                return;
        }
        var names = new List<string>();
        foreach (var (node, file) in history.Files)
        {
            try
            {
                var (name, bytes) = await outputs.CopyAsync(server.Client, job.Row.Id, job.Row.Owner, node, file, cancellationToken);
                metrics.OutputCopied(bytes);
                names.Add(name);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                await EndAsync(job, JobStatus.Failed, $"The output {file.FileName} could not be copied from ComfyUI: {e.Message}", names, cancellationToken, node, "output_copy");
                return;
            }
        }
        await EndAsync(job, JobStatus.Completed, null, names, cancellationToken);
    }

    private async Task MarkRunningAsync(TrackedJob job, CancellationToken cancellationToken)
    {
        if (job.Row.Status != JobStatus.Queued)
        {
            return;
        }
        var now = time.GetUtcNow();
        await store.UpdateAsync(job.Row.Id, status: JobStatus.Running, startedAt: now, cancellationToken: cancellationToken);
        job.Row = job.Row with { Status = JobStatus.Running, StartedAt = job.Row.StartedAt ?? now };
        await EmitAsync(job, JobEventTypes.Status, new JsonObject { ["status"] = JobStatus.Running, ["server"] = job.Row.Server }, cancellationToken);
    }

    /// <summary>
    /// The final transition: the status and the event that ends the streams written together, then announced, then
    /// the job is let go. If the write fails the job stays in flight, and the next reconcile ends it.
    /// </summary>
    private async Task EndAsync(TrackedJob job, string status, string? error, IReadOnlyList<string> names, CancellationToken cancellationToken,
        string? node = null, string? reason = null)
    {
        var (type, data) = status switch
        {
            JobStatus.Completed => (JobEventTypes.Complete, new JsonObject { ["outputs"] = new JsonArray([.. names.Select(n => (JsonNode)n)]) }),
            JobStatus.Cancelled => (JobEventTypes.Cancelled, new JsonObject()),
            _ => (JobEventTypes.Error, new JsonObject { ["message"] = error, ["node"] = node, ["nodeType"] = node is null ? null : NodeType(job, node), ["reason"] = reason }),
        };
        var end = NewEvent(job, type, data);
        data["status"] = status;
        data["durationSeconds"] = Math.Round((end.CreatedAt - job.Row.CreatedAt).TotalSeconds, 3);
        await WriteAsync(job, () => store.EndAsync(job.Row.Id, status, end.CreatedAt, error, names, end, cancellationToken), cancellationToken);
        job.Row = job.Row with { Status = status, EndedAt = end.CreatedAt, Error = error, Outputs = names };
        job.LastSequence = end.Sequence;
        Announce(end, job.Row.Owner);
        metrics.Finished(status, end.CreatedAt - job.Row.CreatedAt);
        if (status == JobStatus.Failed)
        {
            metrics.Failed(reason ?? "unknown");
        }
        Untrack(job);
        job.Ended.TrySetResult();
        webhooks.Deliver(job.Row);
    }

    /// <summary>Numbers an event, persists it, then publishes it; under the job's gate.</summary>
    private async Task EmitAsync(TrackedJob job, string type, JsonObject data, CancellationToken cancellationToken)
    {
        var jobEvent = NewEvent(job, type, data);
        await WriteAsync(job, () => store.AppendEventAsync(jobEvent, cancellationToken), cancellationToken);
        job.LastSequence = jobEvent.Sequence;
        Announce(jobEvent, job.Row.Owner);
    }

    /// <summary>A persisted event, to this replica's streams and, through Redis, to the other replicas'.</summary>
    private void Announce(JobEvent jobEvent, string? owner)
    {
        hub.Publish(jobEvent, owner);
        bus.Publish(jobEvent, owner);
    }

    /// <summary>
    /// Whether the job is to be cancelled: a cancel that reached another replica is recorded in PostgreSQL only, so the
    /// flag is read again before an interruption counts as a failure or a lost prompt is queued again.
    /// </summary>
    private async Task<bool> CancelRequestedAsync(TrackedJob job, CancellationToken cancellationToken)
    {
        if (!job.Row.CancelRequested && await store.IsCancelRequestedAsync(job.Row.Id, cancellationToken))
        {
            job.Row = job.Row with { CancelRequested = true };
        }
        return job.Row.CancelRequested;
    }

    private JobEvent NewEvent(TrackedJob job, string type, JsonObject data)
    {
        // PostgreSQL keeps microseconds: the live copy is cut to the same, so history and live agree to the byte.
        var now = time.GetUtcNow();
        return new JobEvent(job.Row.Id, job.LastSequence + 1, type, data, now.AddTicks(-(now.Ticks % 10)));
    }

    /// <summary>
    /// A write that numbers an event. When it fails the counter is set again from what PostgreSQL holds (a commit whose
    /// answer was lost still counts), so the next number is neither reused nor skipped.
    /// </summary>
    private async Task WriteAsync(TrackedJob job, Func<Task> write, CancellationToken cancellationToken)
    {
        try
        {
            await write();
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                (job.LastSequence, _) = await store.ReadPositionAsync(job.Row.Id, CancellationToken.None);
            }
            catch (Npgsql.NpgsqlException)
            {
            }
            throw;
        }
    }

    /// <summary>Follows a job; a job already followed (loaded and submitted at once) keeps its one entry.</summary>
    private TrackedJob Track(JobRow row, long lastSequence, bool submitting = false)
    {
        var job = _jobs.GetOrAdd(row.Id, _ => new TrackedJob(row, lastSequence, submitting));
        if (row.PromptId is not null)
        {
            _byPrompt[row.PromptId] = row.Id;
        }
        return job;
    }

    private void Untrack(TrackedJob job)
    {
        _jobs.TryRemove(job.Row.Id, out _);
        if (job.Row.PromptId is not null)
        {
            _byPrompt.TryRemove(job.Row.PromptId, out _);
        }
    }

    private static string? NodeType(TrackedJob job, string node) => job.Row.Workflow[node]?["class_type"]?.GetValue<string>();
}
