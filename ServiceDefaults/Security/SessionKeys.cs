using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace AgentFleet.ServiceDefaults.Security;

/// <summary>
/// What a valid session key says: the session, the most it may spend on the model (null: no cap), and the trace of
/// the session's run, which the agent's model calls join (null: none).
/// </summary>
public sealed record SessionKey(string SessionId, decimal? BudgetUsd, ActivityContext? Trace = null);

/// <summary>
/// The key an agent presents to ZaiProxy: <c>fsk_&lt;session id&gt;[_b&lt;micro-dollars&gt;][_t&lt;trace id&gt;&lt;span id&gt;]_&lt;HMAC&gt;</c>.
/// ZaiProxy, holding the same secret (<c>SessionKeys:Secret</c>), checks it without a lookup, attributes usage to the
/// session and stops it at its budget; the agent never holds a key worth anything outside its own session, and cannot
/// raise its own budget. The trace part lets ZaiProxy record the agent's model calls in the session's trace: the
/// agent CLIs do not pass trace headers on.
/// </summary>
public sealed class SessionKeys(IConfiguration configuration)
{
    private const string Prefix = "fsk_";

    // Without a shared secret the keys are still unique per session, just not checkable elsewhere.
    private readonly byte[] _secret = configuration["SessionKeys:Secret"] is { Length: > 0 } secret
        ? Encoding.UTF8.GetBytes(secret)
        : RandomNumberGenerator.GetBytes(32);

    public string Issue(string sessionId, decimal? budgetUsd = null, ActivityContext? trace = null)
    {
        var fields = new List<string> { Guid.Parse(sessionId).ToString("N") };
        if (budgetUsd is { } budget)
        {
            fields.Add("b" + ((long)Math.Ceiling(budget * 1_000_000m)).ToString(CultureInfo.InvariantCulture));
        }
        if (trace is { } context && context != default)
        {
            fields.Add($"t{context.TraceId.ToHexString()}{context.SpanId.ToHexString()}");
        }
        return $"{Prefix}{string.Join('_', fields)}_{Sign(fields)}";
    }

    /// <summary>What the key says, or null for a key that is not one of ours.</summary>
    public SessionKey? Verify(string key)
    {
        if (!key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }
        var parts = key[Prefix.Length..].Split('_');
        if (parts.Length is < 2 or > 4 || !Guid.TryParseExact(parts[0], "N", out var id))
        {
            return null;
        }
        var fields = parts[..^1];
        var expected = Encoding.ASCII.GetBytes(Sign(fields));
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(parts[^1])))
        {
            return null;
        }
        long? micros = null;
        ActivityContext? trace = null;
        foreach (var field in fields[1..])
        {
            if (field.Length > 1 && field[0] == 'b' && micros is null && trace is null
                && long.TryParse(field.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                micros = value;
            }
            else if (field.Length == 1 + 32 + 16 && field[0] == 't' && trace is null)
            {
                trace = new ActivityContext(ActivityTraceId.CreateFromString(field.AsSpan(1, 32)), ActivitySpanId.CreateFromString(field.AsSpan(33, 16)), ActivityTraceFlags.Recorded);
            }
            else
            {
                return null;
            }
        }
        return new SessionKey(id.ToString(), micros / 1_000_000m, trace);
    }

    // The fields as the key carries them, joined: what is signed is exactly what is read back.
    private string Sign(IEnumerable<string> fields) =>
        Convert.ToBase64String(HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(string.Join('_', fields))))
            .TrimEnd('=').Replace('+', 'x').Replace('/', 'y');
}
