using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace AgentFleet.ServiceDefaults.Security;

/// <summary>
/// The key an agent presents to ZaiProxy: <c>fsk_&lt;session id&gt;_&lt;HMAC&gt;</c>. ZaiProxy, holding the same
/// secret (<c>SessionKeys:Secret</c>), checks it without a lookup and attributes usage to the session; the agent
/// never holds a key worth anything outside its own session.
/// </summary>
public sealed class SessionKeys(IConfiguration configuration)
{
    private const string Prefix = "fsk_";

    // Without a shared secret the keys are still unique per session, just not checkable elsewhere.
    private readonly byte[] _secret = configuration["SessionKeys:Secret"] is { Length: > 0 } secret
        ? Encoding.UTF8.GetBytes(secret)
        : RandomNumberGenerator.GetBytes(32);

    public string Issue(string sessionId)
    {
        var id = Guid.Parse(sessionId);
        return $"{Prefix}{id:N}_{Sign(id.ToString())}";
    }

    /// <summary>The session the key was issued for, or null for a key that is not one of ours.</summary>
    public string? Verify(string key)
    {
        var parts = key.Split('_');
        if (parts.Length != 3 || parts[0] + "_" != Prefix || !Guid.TryParseExact(parts[1], "N", out var id))
        {
            return null;
        }
        var sessionId = id.ToString();
        var expected = Encoding.ASCII.GetBytes(Sign(sessionId));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(parts[2])) ? sessionId : null;
    }

    private string Sign(string sessionId) =>
        Convert.ToBase64String(HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(sessionId)))
            .TrimEnd('=').Replace('+', 'x').Replace('/', 'y');
}
