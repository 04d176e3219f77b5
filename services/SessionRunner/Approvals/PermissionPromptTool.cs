using System.ComponentModel;
using System.Text.Json;
using AgentFleet.SessionRunner.Services;
using ModelContextProtocol.Server;

namespace AgentFleet.SessionRunner.Approvals;

/// <summary>
/// The tool Claude Code calls (<c>--permission-prompt-tool mcp__approvals__permission_prompt</c>) for every tool use it
/// would otherwise ask a person about. It answers with JSON text: allow with the input to run, or deny with a message.
/// </summary>
[McpServerToolType]
public sealed class PermissionPromptTool(ApprovalGate gate, IHttpContextAccessor http)
{
    public const string Name = "permission_prompt";

    [McpServerTool(Name = Name), Description("Decides whether the agent may run a tool use: at once for what the session's policy allows, else after a person approves or rejects it.")]
    public async Task<string> DecideAsync(
        [Description("The tool Claude wants to run")] string tool_name,
        [Description("The tool's input")] JsonElement input,
        [Description("The tool use's id")] string? tool_use_id,
        CancellationToken cancellationToken)
    {
        // AgentMcp's middleware let the call in only with a live session's key, and left the session here.
        var session = (AgentSession)http.HttpContext!.Items[typeof(AgentSession)]!;
        try
        {
            var answer = await gate.AskAsync(session, tool_name, input, tool_use_id, cancellationToken);
            return answer.ToJson();
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            return PermissionAnswer.Deny("The fleet could not queue this tool use for approval just now, so it is denied. Try again shortly.").ToJson();
        }
    }
}
