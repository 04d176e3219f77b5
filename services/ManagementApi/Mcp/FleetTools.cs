using System.ComponentModel;
using System.Text.Json;
using AgentFleet.ManagementApi.Apis;
using AgentFleet.ManagementApi.Model;
using AgentFleet.ManagementApi.Services;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace AgentFleet.ManagementApi.Mcp;

/// <summary>Approvals, templates, usage and status: the REST handlers of the same names, as the same caller.</summary>
[McpServerToolType]
public sealed class FleetTools(
    RunnerDirectory runners, TemplateStore templates, ApiKeyStore keys, ZaiProxyGrpc.ZaiProxyClient proxy,
    ComfyStatusReader comfy, IHttpClientFactory httpClients, IConfiguration configuration)
{
    [McpServerTool(Name = "list_approvals", Title = "Tool uses waiting for a person", ReadOnly = true)]
    [Description("Approvals, oldest first: pending ones by default. Each has the tool, its exact input, the risk and why.")]
    public async Task<CallToolResult> ListApprovals(
        RequestContext<CallToolRequestParams> request,
        [Description("pending (default), approved, rejected or expired")] string? status = null,
        [Description("Only this session's")] string? sessionId = null,
        [Description("At most this many (1 to 500, default 100)")] int? limit = null,
        CancellationToken cancellationToken = default)
    {
        var caller = McpCaller.From(request.User);
        caller.RequirePerson();
        var page = (await ApprovalsApi.ListApprovals(caller, runners, status ?? "pending", sessionId, limit, cancellationToken)).Value!;
        var lines = string.Join('\n', page.Items.Select(a => $"{a.ApprovalId} {a.Status} {a.Risk} {a.ToolName} {ToolResults.Shorten(a.Input.GetRawText(), 120)}"));
        return ToolResults.Of(page, $"{page.Items.Count} approvals.\n{lines}".TrimEnd());
    }

    [McpServerTool(Name = "decide_approval", Title = "Approve or reject a tool use", Destructive = true)]
    [Description("Approve (optionally with an edited input) or reject (optionally with a message the agent is told) a pending tool use. Only a person's key may decide.")]
    public async Task<CallToolResult> DecideApproval(
        RequestContext<CallToolRequestParams> request,
        [Description("The approval's id")] string approvalId,
        [Description("approve or reject")] string decision,
        [Description("approve: the tool's input to run instead, as a JSON object")] JsonElement? updatedInput = null,
        [Description("reject: why, told to the agent")] string? message = null,
        CancellationToken cancellationToken = default)
    {
        var caller = McpCaller.From(request.User);
        // An agent deciding approvals could approve its own risky tool uses.
        caller.RequirePerson();
        var decided = decision switch
        {
            "approve" => (await ApprovalsApi.Approve(approvalId, caller, runners, new ApproveRequest(updatedInput), cancellationToken)).Value!,
            "reject" => (await ApprovalsApi.Reject(approvalId, caller, runners, new RejectRequest(message), cancellationToken)).Value!,
            _ => throw ToolResults.Invalid("decision must be approve or reject."),
        };
        return ToolResults.Of(decided, $"Approval {decided.ApprovalId} is {decided.Status}: {decided.ToolName} in session {decided.SessionId}.");
    }

    [McpServerTool(Name = "list_templates", Title = "Session templates", ReadOnly = true)]
    [Description("Saved session templates: a prompt with variables (a JSON Schema), an agent and defaults. create_session takes a templateId and variables.")]
    public async Task<CallToolResult> ListTemplates(
        RequestContext<CallToolRequestParams> request,
        [Description("Only this category")] string? category = null,
        CancellationToken cancellationToken = default)
    {
        McpCaller.From(request.User);
        var page = (await TemplatesApi.ListTemplates(templates, category, cancellationToken)).Value!;
        var lines = string.Join('\n', page.Items.Select(t => $"{t.Id} {t.Name} ({t.Agent}) variables: {string.Join(", ", t.Variables)}"));
        return ToolResults.Of(page, $"{page.Items.Count} templates.\n{lines}".TrimEnd());
    }

    [McpServerTool(Name = "get_usage", Title = "Model usage and cost", ReadOnly = true)]
    [Description("Calls, tokens and cost from ZaiProxy's accounting, grouped by session, key, model or day, over an optional period.")]
    public async Task<CallToolResult> GetUsage(
        RequestContext<CallToolRequestParams> request,
        [Description("session, key, model or day (default)")] string? groupBy = null,
        [Description("From this time (ISO 8601)")] DateTimeOffset? from = null,
        [Description("Up to this time (ISO 8601)")] DateTimeOffset? to = null,
        CancellationToken cancellationToken = default)
    {
        var caller = McpCaller.From(request.User);
        caller.RequirePerson();
        var usage = (await UsageApi.GetUsage(caller, keys, proxy, groupBy, from, to, cancellationToken)).Value!;
        return ToolResults.Of(usage, $"{usage.Total.Calls} calls, {usage.Total.InputTokens} input and {usage.Total.OutputTokens} output tokens, ${usage.Total.CostUsd:0.####}.");
    }

    [McpServerTool(Name = "get_status", Title = "Fleet status", ReadOnly = true)]
    [Description("Uptime, workers and the queue, host CPU, memory, disk and GPUs, and each service's health.")]
    public async Task<CallToolResult> GetStatus(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken = default)
    {
        McpCaller.From(request.User);
        var status = (await StatusApi.GetStatus(runners, comfy, httpClients, configuration, cancellationToken)).Value!;
        var services = string.Join(", ", status.Services.Select(s => $"{s.Name} {s.Status}"));
        return ToolResults.Of(status, $"{status.Workers.Active} of {status.Workers.Total} workers busy, {status.Workers.Queued} queued. Services: {services}.");
    }
}
