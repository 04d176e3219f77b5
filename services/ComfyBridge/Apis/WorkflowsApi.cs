using System.Text.Json.Nodes;
using AgentFleet.ComfyBridge.Jobs;
using AgentFleet.ComfyBridge.Model;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.ServiceDefaults.Streams;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentFleet.ComfyBridge.Apis;

public static class WorkflowsApi
{
    public static IEndpointRouteBuilder MapWorkflowsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/comfyui").WithTags("ComfyUI workflows").ProducesProblems(ProblemResponses.Common);
        api.MapPost("/workflow", SubmitWorkflow).WithName("SubmitWorkflow").WithSummary("Run an API-format ComfyUI workflow");
        api.MapGet("/workflow", ListWorkflows).WithName("ListWorkflows").WithSummary("The caller's workflows, newest first (status filter, paging)");
        api.MapGet("/workflow/{id}", GetWorkflow).WithName("GetWorkflow").WithSummary("A workflow's status, progress and outputs");
        api.MapDelete("/workflow/{id}", CancelWorkflow).WithName("CancelWorkflow").WithSummary("Cancel a queued or running workflow")
            .ProducesProblems(StatusCodes.Status409Conflict);
        api.MapGet("/workflow/{id}/events", StreamWorkflowEvents).WithName("StreamWorkflowEvents").WithSummary("Server-Sent Events: numbered progress, history then live");
        api.MapGet("/stream", StreamWebSocket).WithName("WorkflowStream").WithSummary("WebSocket: one workflow's events (workflowId, since, previews), or all of the caller's live");
        return app;
    }

    public static async Task<Results<Accepted<WorkflowCreated>, ProblemHttpResult>> SubmitWorkflow(SubmitWorkflowRequest request, [AsParameters] ComfyServices services, CancellationToken cancellationToken)
    {
        services.Caller.Require(CallerRole.Operator);
        var workflow = Validate(request, services);
        try
        {
            var job = await services.Tracker.SubmitAsync(services.Caller, workflow, request.WebhookUrl, cancellationToken);
            var links = WorkflowLinksFor.Job(job.Id);
            return TypedResults.Accepted(links.Self, new WorkflowCreated(job.Id, job.Status, job.Server!, links));
        }
        catch (ComfyRejection rejection)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "ComfyUI refused the workflow.", detail: rejection.Message,
                extensions: new Dictionary<string, object?>
                {
                    ["code"] = ComfyProblemCodes.WorkflowRejected,
                    ["comfyError"] = rejection.Error,
                    ["nodeErrors"] = rejection.NodeErrors,
                    ["suggestion"] = "Export the workflow with ComfyUI's \"Save (API)\" and check its nodes are installed (GET /v1/comfyui/models lists the models).",
                });
        }
    }

    public static async Task<Ok<WorkflowPage>> ListWorkflows([AsParameters] ComfyServices services, string? status, int? limit, int? offset, CancellationToken cancellationToken)
    {
        var size = ComfyProblems.PageSize(limit, offset);
        if (status is not null && !JobStatus.All.Contains(status))
        {
            throw ComfyProblems.Invalid($"status must be one of {string.Join(", ", JobStatus.All)}.");
        }
        var (rows, total) = await services.Jobs.ListAsync(services.OwnerFilter, status, size, offset ?? 0, cancellationToken);
        return TypedResults.Ok(new WorkflowPage(
            [.. rows.Select(j => new WorkflowSummary(j.Id, j.Status, j.Owner, j.Server, j.Outputs, j.Error, j.CreatedAt, j.EndedAt, WorkflowLinksFor.Job(j.Id)))],
            total, size, offset ?? 0));
    }

    public static async Task<Ok<WorkflowView>> GetWorkflow(string id, [AsParameters] ComfyServices services, CancellationToken cancellationToken) =>
        TypedResults.Ok(await ViewAsync(await FindAsync(id, services, cancellationToken), services, cancellationToken));

    public static async Task<Ok<WorkflowView>> CancelWorkflow(string id, [AsParameters] ComfyServices services, CancellationToken cancellationToken)
    {
        services.Caller.Require(CallerRole.Operator);
        var job = await FindAsync(id, services, cancellationToken);
        if (JobStatus.IsFinal(job.Status))
        {
            throw new ProblemException(StatusCodes.Status409Conflict, ComfyProblemCodes.AlreadyFinished, "The workflow has already ended.",
                $"Workflow {job.Id} is {job.Status}; there is nothing to cancel.");
        }
        var cancelled = await services.Tracker.CancelAsync(job.Id, cancellationToken) ?? await services.Jobs.FindAsync(job.Id, null, cancellationToken) ?? job;
        return TypedResults.Ok(await ViewAsync(cancelled, services, cancellationToken));
    }

    public static async Task StreamWorkflowEvents(string id, HttpContext context, [AsParameters] ComfyServices services, long? since, CancellationToken cancellationToken)
    {
        var after = StreamPosition.After(context.Request, since);
        var job = await FindAsync(id, services, cancellationToken);
        await JobEventWire.WriteSseAsync(context.Response, services.Streamer, job.Id, after, cancellationToken);
    }

    public static async Task StreamWebSocket(HttpContext context, [AsParameters] ComfyServices services, string? workflowId, long? since, bool? previews,
        CancellationToken cancellationToken)
    {
        var after = StreamPosition.After(context.Request, since);
        JobRow? job = workflowId is null ? null : await FindAsync(workflowId, services, cancellationToken);
        if (!context.WebSockets.IsWebSocketRequest)
        {
            throw ComfyProblems.Invalid("This endpoint speaks WebSocket; connect with a WebSocket client (or use GET /v1/comfyui/workflow/{id}/events for SSE).");
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        // Preview images are for one running workflow (ComfyUI sends them for the prompt it executes), on request.
        using var previewing = job is not null && previews == true ? services.Hub.Subscribe(job.Id, null, allOwners: false, previews: true) : null;
        await JobEventWire.RunWebSocketAsync(socket, async (write, ct) =>
        {
            if (job is not null)
            {
                await services.Streamer.StreamAsync(job.Id, after, write, () => ValueTask.CompletedTask, ct);
                return;
            }
            // Everything of the caller's, live, until the client leaves.
            using var live = services.Hub.Subscribe(null, services.Caller.Owner, allOwners: services.Caller.IsAdmin);
            await foreach (var jobEvent in live.Reader.ReadAllAsync(ct))
            {
                await write(jobEvent);
            }
        }, previewing?.Previews, cancellationToken);
    }

    public static async Task<JobRow> FindAsync(string id, ComfyServices services, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var jobId))
        {
            throw ComfyProblems.Invalid($"'{id}' is not a workflow id (a UUID).");
        }
        // Someone else's workflow is as absent as one that never was.
        return await services.Jobs.FindAsync(jobId, services.OwnerFilter, cancellationToken)
            ?? throw new ProblemException(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "No such workflow.", $"Workflow {jobId} does not exist.");
    }

    private static async Task<WorkflowView> ViewAsync(JobRow job, ComfyServices services, CancellationToken cancellationToken)
    {
        var (last, progress) = await services.Jobs.ReadPositionAsync(job.Id, cancellationToken);
        var webhook = job.WebhookUrl is null ? null
            : job.WebhookDeliveredAt is not null ? "delivered"
            : job.WebhookAttempts >= services.Options.Value.WebhookAttempts ? "failed"
            : JobStatus.IsFinal(job.Status) ? "pending" : "waiting";
        return new WorkflowView(job.Id, job.Status, job.Owner, job.Server, job.PromptId, job.Attempts,
            progress is null ? null : new WorkflowProgress(progress["node"]?.ToString(), Number(progress["value"]), Number(progress["max"])),
            job.Outputs, job.Error, job.CreatedAt, job.StartedAt, job.EndedAt,
            job.EndedAt is { } ended ? Math.Round((ended - job.CreatedAt).TotalSeconds, 3) : null, last,
            job.WebhookUrl, webhook, job.WebhookError, WorkflowLinksFor.Job(job.Id));
    }

    // ComfyUI sends whole numbers, but custom nodes may report fractions: they are rounded rather than refused.
    private static int Number(JsonNode? node) => node is JsonValue value && value.TryGetValue<double>(out var number) ? (int)Math.Round(number) : 0;

    /// <summary>Where the first NUL is (a node id, a class_type, any input), as a path a person can find it by.</summary>
    private static string? FirstNul(JsonNode? node, string path) => node switch
    {
        JsonObject o => o.Select(p => p.Key.Contains('\0') ? $"{path}[\"{p.Key.Replace("\0", "\\u0000")}\"]" : FirstNul(p.Value, $"{path}[\"{p.Key}\"]")).FirstOrDefault(p => p is not null),
        JsonArray a => a.Select((item, i) => FirstNul(item, $"{path}[{i}]")).FirstOrDefault(p => p is not null),
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String && v.GetValue<string>().Contains('\0') => path,
        _ => null,
    };

    private static JsonObject Validate(SubmitWorkflowRequest request, ComfyServices services)
    {
        if (request.Workflow is not JsonObject workflow || workflow.Count == 0)
        {
            throw ComfyProblems.Invalid("workflow must be a non-empty JSON object: an API-format workflow (node id → {class_type, inputs}).",
                "In ComfyUI, export it with \"Save (API)\"; the graph format of a plain \"Save\" is not accepted.");
        }
        if (workflow.Count > services.Options.Value.MaxNodes)
        {
            throw ComfyProblems.Invalid($"workflow has {workflow.Count} nodes; the limit is {services.Options.Value.MaxNodes}.");
        }
        foreach (var (nodeId, node) in workflow)
        {
            if (node is not JsonObject n || n["class_type"] is not JsonValue classType || classType.GetValueKind() != System.Text.Json.JsonValueKind.String)
            {
                throw ComfyProblems.Invalid($"Node '{Bounded.Echo(nodeId)}' has no class_type: each node of an API-format workflow is {{\"class_type\": ..., \"inputs\": {{...}}}}.",
                    "This looks like the UI's graph format; export with \"Save (API)\" instead.");
            }
        }
        // PostgreSQL's jsonb refuses NUL anywhere in it, and no ComfyUI workflow needs one.
        if (FirstNul(workflow, "workflow") is { } path)
        {
            throw ComfyProblems.Invalid($"{Bounded.Echo(path)} contains a NUL character (\\u0000); remove it.");
        }
        if (request.WebhookUrl is { } url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw ComfyProblems.Invalid("webhookUrl must be an absolute http or https URL.");
            }
            if (!services.Options.Value.AllowPrivateWebhooks && Webhooks.WebhookTargets.IsPrivateLiteral(uri))
            {
                throw ComfyProblems.Invalid("webhookUrl names a loopback, private or link-local address, which webhooks may not reach.",
                    "Use a public address, or set ComfyUI__AllowPrivateWebhooks=true where the receiver is on a private network.");
            }
            if (string.IsNullOrEmpty(services.Options.Value.WebhookSecret))
            {
                throw new ProblemException(StatusCodes.Status400BadRequest, ComfyProblemCodes.WebhookNotConfigured, "Webhooks are not configured.",
                    "The bridge has no secret to sign webhooks with, so a receiver could not tell them from forgeries.",
                    "Set ComfyUI__WebhookSecret for the bridge (the AppHost generates one), or submit without webhookUrl.");
            }
        }
        return workflow;
    }
}
