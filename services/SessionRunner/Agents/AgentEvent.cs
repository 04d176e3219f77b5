using System.Text.Json.Nodes;

namespace AgentFleet.SessionRunner.Agents;

/// <summary>
/// One normalized event before it is numbered and persisted (docs/architecture.md, "The normalized event").
/// <paramref name="Type"/> is one of <see cref="EventTypes"/>; <paramref name="Raw"/> is the agent's original line.
/// </summary>
public sealed record AgentEvent(string Type, string Role, string? Content = null, JsonObject? Metadata = null, string? Raw = null);

/// <summary>The event types of the normalized schema, and the roles.</summary>
public static class EventTypes
{
    public const string Status = "status";
    public const string Text = "text";
    public const string Thinking = "thinking";
    public const string ToolUse = "tool_use";
    public const string ToolResult = "tool_result";
    public const string Usage = "usage";
    public const string Approval = "approval";
    /// <summary>A tool use waits for a person (<c>metadata.approvalId</c>, tool, input, risk, reason).</summary>
    public const string ApprovalNeeded = "approval_needed";
    /// <summary>A queued tool use was approved, rejected or expired.</summary>
    public const string ApprovalDecided = "approval_decided";
    /// <summary>The session's agent started another session (<c>metadata.childSessionId</c>) through the fleet's MCP tools.</summary>
    public const string ChildSession = "child_session";
    public const string Log = "log";
    public const string Error = "error";
    public const string Complete = "complete";

    public const string Assistant = "assistant";
    public const string User = "user";
    public const string System = "system";
    public const string Tool = "tool";
}
