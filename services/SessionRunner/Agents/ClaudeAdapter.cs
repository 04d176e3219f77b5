using System.Text.Json.Nodes;
using AgentFleet.SessionRunner.Approvals;
using AgentFleet.SessionRunner.Services;
using Microsoft.Extensions.Options;

namespace AgentFleet.SessionRunner.Agents;

/// <summary>The Claude Code CLI, headless, reaching the model through ZaiProxy with the session's own key.</summary>
public sealed class ClaudeAdapter(IOptions<SessionRunnerOptions> options, IConfiguration configuration, AgentMcpAddress mcp, ApprovalGate approvals) : IAgentAdapter
{
    public string Kind => "claude";

    public bool CanResume => true;

    public AgentLaunch BuildLaunch(AgentLaunchContext context)
    {
        var claude = options.Value.Claude;
        var program = ExecutableLocator.Require(claude.Path, Kind);
        List<string> arguments = ["-p", "--output-format", "stream-json", "--verbose", "--include-partial-messages",
            "--permission-mode", claude.PermissionMode];
        var fleet = FleetUrl();
        List<string> allowed = [.. claude.AllowedTools];
        if (fleet is not null)
        {
            allowed.Add($"mcp__{AgentMcp.FleetServerName}");
        }
        if (allowed.Count > 0)
        {
            arguments.AddRange(["--allowedTools", string.Join(',', allowed)]);
        }
        // Every other tool use Claude would ask a person about goes to the runner's permission prompt tool, with the
        // session's own key: rated, and allowed at once or queued for a person (ApprovalGate).
        var servers = context.McpServersJson is { Length: > 0 } own ? (JsonObject)JsonNode.Parse(own)! : [];
        servers[AgentMcp.ServerName] = Server(context.SessionKey.Length > 0 ? mcp.Url : "", context.SessionKey);
        // The fleet's own tools (create_session and the rest), acting for the session's owner with the same key.
        if (fleet is not null)
        {
            servers[AgentMcp.FleetServerName] = Server(fleet, context.SessionKey);
        }
        arguments.AddRange(["--mcp-config", new JsonObject { ["mcpServers"] = servers }.ToJsonString(), "--strict-mcp-config",
            "--permission-prompt-tool", AgentMcp.PermissionPromptToolName]);
        if (!string.IsNullOrEmpty(context.Model))
        {
            arguments.AddRange(["--model", context.Model]);
        }
        if (context.ResumeAgentSessionId is not null)
        {
            arguments.AddRange(["--resume", context.ResumeAgentSessionId]);
        }
        // The task is a positional argument after "--", so a task that starts with a dash is never an option.
        arguments.AddRange(["--", context.Task]);
        var baseUrl = claude.AnthropicBaseUrl ?? configuration["services:zai-proxy:http:0"]
            ?? throw new AgentUnavailableException("No model endpoint: set SessionRunner:Claude:AnthropicBaseUrl or run through the AppHost (services__zai-proxy__http__0).");
        return AgentLaunch.ForCli(program, arguments, new Dictionary<string, string>
        {
            ["ANTHROPIC_BASE_URL"] = baseUrl.TrimEnd('/'),
            // The session's key, never the upstream one: ZaiProxy attributes usage to it and holds the real key.
            ["ANTHROPIC_API_KEY"] = context.SessionKey,
            ["DISABLE_AUTOUPDATER"] = "1",
            ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
            // A queued tool use may wait for a person up to the approval timeout; the CLI must wait as long.
            ["MCP_TOOL_TIMEOUT"] = ((approvals.TimeoutSeconds + 60) * 1000L).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    public AgentOutputParser CreateParser() => new ClaudeOutputParser();

    // A launch built only to check a start request has no key yet, and needs no address.
    private static JsonObject Server(string url, string sessionKey) => new()
    {
        ["type"] = "http",
        ["url"] = sessionKey.Length > 0 ? url : "",
        ["headers"] = new JsonObject { ["Authorization"] = $"Bearer {sessionKey}" },
    };

    // The fleet decides for itself what an agent may do with its tools (its owner's rights, operator at most, a
    // bounded depth), so they need no person's approval.
    private string? FleetUrl() =>
        options.Value.Mcp.FleetUrl is { Length: > 0 } configured ? configured
        : configuration["services:management-api:http:0"] is { Length: > 0 } api ? api.TrimEnd('/') + "/mcp"
        : null;
}
