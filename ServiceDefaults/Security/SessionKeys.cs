using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace AgentFleet.ServiceDefaults.Security;

/// <summary>What a valid session key says: the session, and the most it may spend on the model (null: no cap).</summary>
public sealed record SessionKey(string SessionId, decimal? BudgetUsd);

/// <summary>
/// The key an agent presents to ZaiProxy: <c>fsk_&lt;session id&gt;_&lt;HMAC&gt;</c>, or with a budget
/// <c>fsk_&lt;session id&gt;_b&lt;micro-dollars&gt;_&lt;HMAC&gt;</c>. ZaiProxy, holding the same secret
/// (<c>SessionKeys:Secret</c>), checks it without a lookup, attributes usage to the session and stops it at its budget;
/// the agent never holds a key worth anything outside its own session, and cannot raise its own budget.
/// </summary>
public sealed class SessionKeys(IConfiguration configuration)
{
    private const string Prefix = "fsk_";

    // Without a shared secret the keys are still unique per session, just not checkable elsewhere.
    private readonly byte[] _secret = configuration["SessionKeys:Secret"] is { Length: > 0 } secret
        ? Encoding.UTF8.GetBytes(secret)
        : RandomNumberGenerator.GetBytes(32);

    public string Issue(string sessionId, decimal? budgetUsd = null)
    {
        var id = Guid.Parse(sessionId);
        if (budgetUsd is not { } budget)
        {
            return $"{Prefix}{id:N}_{Sign(id.ToString())}";
        }
        var micros = ((long)Math.Ceiling(budget * 1_000_000m)).ToString(CultureInfo.InvariantCulture);
        return $"{Prefix}{id:N}_b{micros}_{Sign($"{id}:{micros}")}";
    }

    /// <summary>What the key says, or null for a key that is not one of ours.</summary>
    public SessionKey? Verify(string key)
    {
        var parts = key.Split('_');
        if (parts.Length is not (3 or 4) || parts[0] + "_" != Prefix || !Guid.TryParseExact(parts[1], "N", out var id))
        {
            return null;
        }
        var sessionId = id.ToString();
        long? micros = null;
        if (parts.Length == 4)
        {
            if (parts[2].Length < 2 || parts[2][0] != 'b' || !long.TryParse(parts[2].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }
            micros = value;
        }
        var expected = Encoding.ASCII.GetBytes(Sign(micros is null ? sessionId : $"{sessionId}:{micros}"));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(parts[^1]))
            ? new SessionKey(sessionId, micros / 1_000_000m)
            : null;
    }

    private string Sign(string payload) =>
        Convert.ToBase64String(HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(payload)))
            .TrimEnd('=').Replace('+', 'x').Replace('/', 'y');
}
