using System.Text.Json.Nodes;

namespace AgentFleet.ComfyBridge.Model;

/// <summary>A job's status: <c>queued</c> and <c>running</c> are in flight, the rest are final.</summary>
public static class JobStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static readonly string[] All = [Queued, Running, Completed, Failed, Cancelled];

    public static bool IsFinal(string status) => status is Completed or Failed or Cancelled;
}

/// <summary>The kinds of numbered job event; <c>complete</c>, <c>error</c> and <c>cancelled</c> end a job's stream.</summary>
public static class JobEventTypes
{
    public const string Status = "status";
    public const string Executing = "executing";
    public const string Cached = "cached";
    public const string Progress = "progress";
    public const string Output = "output";
    public const string Complete = "complete";
    public const string Error = "error";
    public const string Cancelled = "cancelled";

    public static bool EndsJob(string type) => type is Complete or Error or Cancelled;
}

public sealed record SubmitWorkflowRequest(JsonNode? Workflow, string? WebhookUrl);

public sealed record WorkflowLinks(string Self, string Events, string Stream);

public sealed record WorkflowCreated(Guid WorkflowId, string Status, string Server, WorkflowLinks Links);

public sealed record WorkflowProgress(string? Node, int Value, int Max);

public sealed record WorkflowView(
    Guid WorkflowId, string Status, string? Owner, string? Server, string? PromptId, int Attempts,
    WorkflowProgress? Progress, IReadOnlyList<string> Outputs, string? Error,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, double? DurationSeconds, long LastSequence,
    string? WebhookUrl, string? WebhookStatus, string? WebhookError, WorkflowLinks Links);

public sealed record WorkflowSummary(Guid WorkflowId, string Status, string? Owner, string? Server, IReadOnlyList<string> Outputs, string? Error,
    DateTimeOffset CreatedAt, DateTimeOffset? EndedAt, WorkflowLinks Links);

public sealed record WorkflowPage(IReadOnlyList<WorkflowSummary> Items, int Total, int Limit, int Offset);

public sealed record OutputView(string Name, Guid WorkflowId, string Node, string ContentType, long Bytes, DateTimeOffset CreatedAt, string Url);

public sealed record OutputPage(IReadOnlyList<OutputView> Items, int Total, int Limit, int Offset);

/// <summary>One numbered event of a job, as persisted and as streamed.</summary>
public sealed record JobEvent(Guid WorkflowId, long Sequence, string Type, JsonObject Data, DateTimeOffset CreatedAt)
{
    public bool EndsJob => JobEventTypes.EndsJob(Type);
}

public static class WorkflowLinksFor
{
    public static WorkflowLinks Job(Guid id) =>
        new($"/v1/comfyui/workflow/{id}", $"/v1/comfyui/workflow/{id}/events", $"/v1/comfyui/stream?workflowId={id}");
}
