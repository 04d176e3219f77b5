using AgentFleet.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http;

namespace AgentFleet.ServiceDefaults.Security;

/// <summary>What a key may do. Higher includes lower: an operator may do what a viewer may.</summary>
public enum CallerRole
{
    Viewer = 1,
    Operator = 2,
    Admin = 3,
}

/// <summary>
/// Who is calling, as the gateway vouches for it: the key's id, the owner whose resources the key reaches, and its role.
/// Handlers take it as a parameter; <see cref="CallerIdentityMiddleware"/> has already refused requests without one.
/// </summary>
public sealed record CallerIdentity(string KeyId, string Owner, CallerRole Role)
{
    public bool IsAdmin => Role == CallerRole.Admin;

    /// <summary>
    /// Set when an agent calls with its session key (the fleet's MCP tools): it acts for its session's owner, reaches
    /// only its own session and those it started, and may not do what needs a person.
    /// </summary>
    public AgentCaller? Agent { get; init; }

    /// <summary>Refuses (403 <c>person_required</c>) an agent's call: deciding approvals, reading spend, managing keys.</summary>
    public void RequirePerson()
    {
        if (Agent is { } agent)
        {
            throw new ProblemException(StatusCodes.Status403Forbidden, ProblemCodes.PersonRequired, "An agent cannot do this.",
                $"Session {agent.SessionId} calls with its session key; this needs a person's API key.");
        }
    }

    public bool IsAtLeast(CallerRole role) => Role >= role;

    /// <summary>
    /// Refuses (403 <c>insufficient_role</c>) a caller below <paramref name="role"/>. The gateway checks roles per route;
    /// services check again, so a route misconfigured there grants nothing here.
    /// </summary>
    public void Require(CallerRole role)
    {
        if (!IsAtLeast(role))
        {
            throw new ProblemException(StatusCodes.Status403Forbidden, ProblemCodes.InsufficientRole, "The key's role does not allow this.",
                $"This needs the {RoleName(role)} role; the key is {RoleName(Role)}.");
        }
    }

    public static string RoleName(CallerRole role) => role switch
    {
        CallerRole.Admin => "admin",
        CallerRole.Operator => "operator",
        _ => "viewer",
    };

    public static bool TryParseRole(string? value, out CallerRole role)
    {
        role = value switch
        {
            "admin" => CallerRole.Admin,
            "operator" => CallerRole.Operator,
            "viewer" => CallerRole.Viewer,
            _ => 0,
        };
        return role != 0;
    }

    /// <summary>
    /// The identity a service signs its own calls to another service with (gRPC between services): admin rights,
    /// named after the calling service, owning nothing of a user's.
    /// </summary>
    public static CallerIdentity Service(string name) => new($"service:{name}", "system", CallerRole.Admin);

    /// <summary>Minimal API binding: the identity the middleware verified for this request.</summary>
    public static ValueTask<CallerIdentity?> BindAsync(HttpContext context) =>
        ValueTask.FromResult(context.Features.Get<CallerIdentity>());
}

/// <summary>The session whose agent is calling (with its session key), and its depth in the tree of sessions (1: started by a person).</summary>
public sealed record AgentCaller(Guid SessionId, int Depth);
