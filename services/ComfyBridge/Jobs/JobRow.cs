using System.Text.Json.Nodes;

namespace AgentFleet.ComfyBridge.Jobs;

/// <summary>One row of <c>comfy_jobs</c>.</summary>
public sealed record JobRow(
    Guid Id, string? Owner, string? CreatedByKey, string? Server, string? PromptId, string Status, JsonObject Workflow,
    string? WebhookUrl, IReadOnlyList<string> Outputs, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt, int Attempts, bool CancelRequested, int WebhookAttempts, DateTimeOffset? WebhookDeliveredAt, string? WebhookError);
