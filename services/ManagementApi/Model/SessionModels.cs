using System.Text.Json.Nodes;
using AgentFleet.SessionRunner.Contracts;

namespace AgentFleet.ManagementApi.Model;

/// <summary>
/// <c>POST /v1/sessions</c>. <c>command</c> is the argument vector of a <c>command</c> session. <c>approvalPolicy</c> is
/// the highest risk of tool use decided without a person (none, low, medium, high; default low; above low: admins).
/// </summary>
/// With <c>templateId</c>, the task is the template's prompt filled with <c>variables</c>, and the template's defaults
/// fill what the request leaves out. <c>mcpServers</c> (claude only) are the session's own MCP servers, in the CLI's
/// <c>mcpServers</c> shape, within what SessionRunner:Mcp allows.
public sealed record CreateSessionRequest(
    string? Agent, string? Task, string[]? Command, string? Provider, string? Model, int? TimeoutSeconds, decimal? BudgetUsd,
    string? ApprovalPolicy = null, Guid? TemplateId = null, System.Text.Json.JsonElement? Variables = null,
    System.Text.Json.JsonElement? McpServers = null);

public sealed record SessionLinks(string Self, string Events, string Messages, string WebSocket, string Log);

public sealed record SessionCreated(Guid SessionId, string Status, string SessionDir, SessionLinks Links);

public sealed record SessionUsage(long InputTokens, long OutputTokens, long CacheReadTokens, long CacheCreationTokens);

public sealed record SessionView(
    Guid SessionId,
    string Owner,
    string Agent,
    string Task,
    string? Provider,
    string? Model,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    long? DurationMs,
    int? ExitCode,
    double? TotalCostUsd,
    string? AgentSessionId,
    long LastSequence,
    SessionUsage? Usage,
    IReadOnlyList<string>? LogTail,
    SessionLinks Links,
    SandboxView? Sandbox = null,
    Guid? ParentSessionId = null,
    int Depth = 1,
    string? RunnerId = null);

/// <summary>How the session's agent is confined (<c>bubblewrap</c> as <c>uid</c>, or <c>none</c>) and its limits.</summary>
public sealed record SandboxView(string Mode, int? Uid, SandboxLimitsView Limits)
{
    public static SandboxView From(SandboxInfo info) => new(info.Mode, info.HasUid ? info.Uid : null,
        new SandboxLimitsView(info.MaxProcesses, info.MaxOpenFiles, info.MaxFileSizeMb, info.MaxMemoryMb == 0 ? null : info.MaxMemoryMb, info.TmpSizeMb));
}

public sealed record SandboxLimitsView(int MaxProcesses, int MaxOpenFiles, long MaxFileSizeMb, long? MaxMemoryMb, long TmpSizeMb);

public sealed record SessionPage(IReadOnlyList<SessionView> Items, int Total, int Limit, int Offset);

public sealed record EventPage(IReadOnlyList<EventView> Events, long NextSince);

/// <summary>The normalized event as clients read it (docs/architecture.md).</summary>
public sealed record EventView(
    Guid Id, Guid SessionId, long Sequence, string Type, string Role, string Content, JsonNode? Metadata, string? Raw, DateTimeOffset CreatedAt)
{
    public static EventView From(SessionEvent e, bool includeRaw = false) => new(
        Guid.Parse(e.Id), Guid.Parse(e.SessionId), e.Sequence, e.Type, e.Role, e.Content,
        e.MetadataJson is { Length: > 0 } json ? JsonNode.Parse(json) : null,
        includeRaw && e.Raw is { Length: > 0 } raw ? raw : null,
        e.CreatedAt.ToDateTimeOffset());

    /// <summary>The SSE event name: status, complete and error have their own; everything else is a message.</summary>
    public static string StreamName(string type) => type switch
    {
        "status" => "agent:status",
        "complete" => "agent:complete",
        "error" => "agent:error",
        _ => "agent:message",
    };
}

public static class SessionLinksFor
{
    public static SessionLinks Session(Guid id) => new(
        $"/v1/sessions/{id}", $"/v1/sessions/{id}/events", $"/v1/sessions/{id}/messages", $"/v1/sessions/{id}/ws", $"/v1/sessions/{id}/log");
}
