using AgentFleet.ManagementApi.Model;
using AgentFleet.ManagementApi.Services;
using AgentFleet.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace AgentFleet.ManagementApi.Mcp;

/// <summary>What the REST endpoints get bound per request, put together for an MCP caller: the tools call the same handlers.</summary>
public sealed class McpSessionServices(
    SessionQueries sessions,
    SessionEventStreams streams,
    RunnerDirectory runners,
    IOptions<SessionLimits> limits,
    TemplateStore templates,
    ApiKeyStore keys,
    KeyBudgets budgets,
    IOptions<FleetMcpOptions> mcp,
    ILogger<SessionServices> logger)
{
    public SessionServices For(CallerIdentity caller) => new(caller, sessions, streams, runners, limits, templates, keys, budgets, mcp, logger);
}
