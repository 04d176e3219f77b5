using System.Globalization;
using System.Security.Claims;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ServiceDefaults.Security;

namespace AgentFleet.ManagementApi.Mcp;

/// <summary>
/// The caller as the MCP SDK carries it with each message (<c>ClaimsPrincipal</c>): set from the gateway's signed
/// identity or an agent's session key on <c>/mcp</c>, and from the <c>authenticate</c> request on the TCP port.
/// Tools read it back as the same <see cref="CallerIdentity"/> the REST endpoints get.
/// </summary>
public static class McpCaller
{
    public const string AuthenticationType = "fleet";
    private const string OwnerClaim = "fleet:owner";
    private const string AgentSessionClaim = "fleet:agent-session";
    private const string AgentDepthClaim = "fleet:agent-depth";

    public static ClaimsPrincipal ToPrincipal(CallerIdentity caller)
    {
        List<Claim> claims =
        [
            new(ClaimTypes.NameIdentifier, caller.KeyId),
            new(OwnerClaim, caller.Owner),
            new(ClaimTypes.Role, CallerIdentity.RoleName(caller.Role)),
        ];
        if (caller.Agent is { } agent)
        {
            claims.Add(new(AgentSessionClaim, agent.SessionId.ToString()));
            claims.Add(new(AgentDepthClaim, agent.Depth.ToString(CultureInfo.InvariantCulture)));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, AuthenticationType));
    }

    /// <summary>The caller of a message; an unauthenticated one never reaches a tool (the transports refuse it first).</summary>
    public static CallerIdentity From(ClaimsPrincipal? user)
    {
        if (user?.Identity is not { IsAuthenticated: true, AuthenticationType: AuthenticationType }
            || user.FindFirstValue(ClaimTypes.NameIdentifier) is not { } keyId
            || user.FindFirstValue(OwnerClaim) is not { } owner
            || !CallerIdentity.TryParseRole(user.FindFirstValue(ClaimTypes.Role), out var role))
        {
            throw new ProblemException(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthorized, "No caller.", "The request carries no authenticated caller.");
        }
        var agent = user.FindFirstValue(AgentSessionClaim) is { } session && Guid.TryParse(session, out var sessionId)
            ? new AgentCaller(sessionId, int.Parse(user.FindFirstValue(AgentDepthClaim) ?? "1", CultureInfo.InvariantCulture))
            : null;
        return new CallerIdentity(keyId, owner, role) { Agent = agent };
    }
}
