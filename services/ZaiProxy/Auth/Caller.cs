using AgentFleet.ServiceDefaults.Security;

namespace AgentFleet.ZaiProxy.Auth;

/// <summary>Who is calling, as far as accounting is concerned: the key's public id, and the session it belongs to if any.</summary>
public sealed record Caller(string KeyId, Guid? SessionId);

/// <summary>
/// Reads the caller's key the way Anthropic clients send it, <c>x-api-key</c> or <c>Authorization: Bearer</c>, and
/// accepts the per-session keys SessionRunner issues (checked against the shared secret, no lookup).
/// </summary>
public sealed class CallerAuthentication(SessionKeys sessionKeys)
{
    public Caller? Authenticate(HttpRequest request)
    {
        var key = request.Headers["x-api-key"].ToString();
        if (key.Length == 0 && request.Headers.Authorization.ToString() is { } authorization
            && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = authorization[7..].Trim();
        }
        if (key.Length > 0 && sessionKeys.Verify(key) is { } sessionId)
        {
            // The key's public half names it in usage rows; the signature never leaves this method.
            return new Caller($"session:{sessionId}", Guid.Parse(sessionId));
        }
        return null;
    }
}
