using System.Text.Json;
using AgentFleet.SessionRunner.Contracts;

namespace AgentFleet.ManagementApi.Model;

/// <summary>A tool use waiting for a person, or decided: what it is, how risky, and what became of it.</summary>
public sealed record ApprovalView(
    Guid ApprovalId,
    Guid SessionId,
    string Owner,
    string ToolName,
    string? ToolUseId,
    JsonElement Input,
    string Risk,
    string Reason,
    string Status,
    string? DecidedBy,
    DateTimeOffset? DecidedAt,
    string? Message,
    JsonElement? UpdatedInput,
    DateTimeOffset CreatedAt)
{
    public static ApprovalView From(Approval approval) => new(
        Guid.Parse(approval.Id), Guid.Parse(approval.SessionId), approval.Owner, approval.ToolName, NullIfEmpty(approval.ToolUseId),
        JsonDocument.Parse(approval.InputJson).RootElement.Clone(), approval.Risk, approval.Reason, approval.Status, NullIfEmpty(approval.DecidedBy),
        approval.DecidedAt?.ToDateTimeOffset(), NullIfEmpty(approval.Message),
        approval.UpdatedInputJson is { Length: > 0 } updated ? JsonDocument.Parse(updated).RootElement.Clone() : null,
        approval.CreatedAt.ToDateTimeOffset());

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}

public sealed record ApprovalPage(IReadOnlyList<ApprovalView> Items);

/// <summary><c>POST /v1/approvals/{id}/approve</c>: optionally the input to run instead of the one asked (a JSON object).</summary>
public sealed record ApproveRequest(JsonElement? UpdatedInput);

/// <summary><c>POST /v1/approvals/{id}/reject</c>: what to tell the agent.</summary>
public sealed record RejectRequest(string? Message);
