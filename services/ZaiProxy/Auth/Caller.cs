using AgentFleet.ServiceDefaults.Security;

namespace AgentFleet.ZaiProxy.Auth;

/// <summary>Who is calling, as far as accounting is concerned: the key's public id, and the session it belongs to if any.</summary>
/// <param name="Payer">The API key that pays: the gateway caller's, or the one that started the session (with its budget).</param>
/// <param name="BudgetGroup">The session whose spending the session budget counts: its own, or its tree's root's.</param>
public sealed record Caller(string KeyId, Guid? SessionId, decimal? BudgetUsd = null, System.Diagnostics.ActivityContext? SessionTrace = null, PayingKey? Payer = null,
    Guid? BudgetGroup = null);

/// <summary>
/// Two kinds of caller: a request the gateway forwarded, carrying its signed identity (a fleet API key); and an agent
/// calling directly with the per-session key SessionRunner issued, read the way Anthropic clients send it,
/// <c>x-api-key</c> or <c>Authorization: Bearer</c> (checked against the shared secret, no lookup).
/// </summary>
public sealed class CallerAuthentication(SessionKeys sessionKeys, IdentitySigner identities)
{
    public Caller? Authenticate(HttpRequest request)
    {
        if (identities.Verify(request) is { } identity)
        {
            return new Caller(identity.KeyId, null, Payer: new PayingKey(identity.KeyId));
        }
        var key = request.Headers["x-api-key"].ToString() is { Length: > 0 } apiKey ? apiKey : BearerToken.Read(request);
        if (key is not null && sessionKeys.Verify(key) is { } session)
        {
            // The key's public half names it in usage rows; the signature never leaves this method.
            return new Caller($"session:{session.SessionId}", Guid.Parse(session.SessionId), session.BudgetUsd, session.Trace, session.Payer, session.BudgetGroup);
        }
        return null;
    }
}
