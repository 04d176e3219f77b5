using AgentFleet.ManagementApi.Services;
using AgentFleet.ServiceDefaults.Security;

namespace AgentFleet.ManagementApi.Model;

/// <summary>What the session endpoints depend on, as one [AsParameters] record, with the caller the gateway vouched for.</summary>
public sealed record SessionServices(
    CallerIdentity Caller,
    SessionQueries Sessions,
    SessionEventStreams Streams,
    RunnerDirectory Runners,
    Microsoft.Extensions.Options.IOptions<SessionLimits> Limits,
    TemplateStore Templates,
    ApiKeyStore Keys,
    KeyBudgets Budgets,
    Microsoft.Extensions.Options.IOptions<Mcp.FleetMcpOptions> Mcp,
    ILogger<SessionServices> Logger)
{
    /// <summary>The owner whose sessions the caller reaches; null for an admin, who reaches all.</summary>
    public string? OwnerFilter => Caller.IsAdmin ? null : Caller.Owner;
}
