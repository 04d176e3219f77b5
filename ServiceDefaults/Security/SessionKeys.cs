using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace AgentFleet.ServiceDefaults.Security;

/// <summary>
/// What a valid session key says: the session, the most it may spend on the model (null: no cap), the trace of the
/// session's run, which the agent's model calls join (null: none), the API key that pays for it with that key's
/// budget (null: none), and the session whose budget it shares (a child started by an agent draws on its root's; null:
/// its own).
/// </summary>
public sealed record SessionKey(string SessionId, decimal? BudgetUsd, ActivityContext? Trace = null, PayingKey? Payer = null, Guid? BudgetSession = null)
{
    /// <summary>The session whose spending the budget counts: the tree's root, or this session.</summary>
    public Guid BudgetGroup => BudgetSession ?? Guid.Parse(SessionId);
}

/// <summary>
/// The API key a session was started with, and its spending cap as it stood then: <see cref="BudgetUsd"/> over the
/// calendar month (UTC) or over all time (<see cref="Monthly"/> false); null: no cap.
/// </summary>
public sealed record PayingKey(string KeyId, decimal? BudgetUsd = null, bool Monthly = true)
{
    /// <summary>Where the budget's period starts for a call at <paramref name="now"/>.</summary>
    public DateTimeOffset PeriodStart(DateTimeOffset now) => PeriodStart(Monthly, now);

    /// <summary>The start of the calendar month (UTC) of <paramref name="now"/>, or the start of time for a total budget.</summary>
    public static DateTimeOffset PeriodStart(bool monthly, DateTimeOffset now)
    {
        var utc = now.ToUniversalTime();
        return monthly ? new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero) : DateTimeOffset.MinValue;
    }
}

/// <summary>
/// The key an agent presents to ZaiProxy:
/// <c>fsk_&lt;session id&gt;[_b&lt;micro-dollars&gt;][_t&lt;trace id&gt;&lt;span id&gt;][_k&lt;api key id&gt;[_p&lt;micro-dollars&gt;m|t]][_r&lt;budget session id&gt;]_&lt;HMAC&gt;</c>.
/// ZaiProxy, holding the same secret (<c>SessionKeys:Secret</c>), checks it without a lookup, attributes usage to the
/// session and to the API key that pays, and stops it at its budget or its key's; the agent never holds a key worth
/// anything outside its own session, and cannot raise either budget. The trace part lets ZaiProxy record the agent's
/// model calls in the session's trace: the agent CLIs do not pass trace headers on.
/// </summary>
public sealed class SessionKeys(IConfiguration configuration)
{
    private const string Prefix = "fsk_";

    // The optional fields, in the order a key carries them.
    private const string Kinds = "btkpr";

    // Without a shared secret the keys are still unique per session, just not checkable elsewhere.
    private readonly byte[] _secret = configuration["SessionKeys:Secret"] is { Length: > 0 } secret
        ? Encoding.UTF8.GetBytes(secret)
        : RandomNumberGenerator.GetBytes(32);

    public string Issue(string sessionId, decimal? budgetUsd = null, ActivityContext? trace = null, PayingKey? payer = null, Guid? budgetSession = null)
    {
        var fields = new List<string> { Guid.Parse(sessionId).ToString("N") };
        if (budgetUsd is { } budget)
        {
            fields.Add("b" + Micros(budget));
        }
        if (trace is { } context && context != default)
        {
            fields.Add($"t{context.TraceId.ToHexString()}{context.SpanId.ToHexString()}");
        }
        if (payer is not null && IsKeyId(payer.KeyId))
        {
            fields.Add("k" + payer.KeyId);
            if (payer.BudgetUsd is { } keyBudget)
            {
                fields.Add("p" + Micros(keyBudget) + (payer.Monthly ? "m" : "t"));
            }
        }
        if (budgetSession is { } shared)
        {
            fields.Add("r" + shared.ToString("N"));
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
        if (parts.Length < 2 || parts.Length > 2 + Kinds.Length || !Guid.TryParseExact(parts[0], "N", out var id))
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
        string? keyId = null;
        long? keyMicros = null;
        var monthly = true;
        Guid? budgetSession = null;
        var last = -1;
        foreach (var field in fields[1..])
        {
            // Each kind at most once, in the order Issue writes them.
            var kind = field.Length > 1 ? Kinds.IndexOf(field[0]) : -1;
            if (kind <= last)
            {
                return null;
            }
            last = kind;
            var value = field.AsSpan(1);
            switch (field[0])
            {
                case 'b' when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var budget):
                    micros = budget;
                    break;
                case 't' when value.Length == 32 + 16:
                    trace = new ActivityContext(ActivityTraceId.CreateFromString(value[..32]), ActivitySpanId.CreateFromString(value[32..]), ActivityTraceFlags.Recorded);
                    break;
                case 'k' when IsKeyId(value.ToString()):
                    keyId = value.ToString();
                    break;
                case 'p' when keyId is not null && value[^1] is 'm' or 't'
                              && long.TryParse(value[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var keyBudget):
                    keyMicros = keyBudget;
                    monthly = value[^1] == 'm';
                    break;
                case 'r' when Guid.TryParseExact(value, "N", out var shared):
                    budgetSession = shared;
                    break;
                default:
                    return null;
            }
        }
        var payer = keyId is null ? null : new PayingKey(keyId, keyMicros / 1_000_000m, monthly);
        return new SessionKey(id.ToString(), micros / 1_000_000m, trace, payer, budgetSession);
    }

    private static string Micros(decimal usd) => ((long)Math.Ceiling(usd * 1_000_000m)).ToString(CultureInfo.InvariantCulture);

    // Key ids are UUIDs, or a name such as "admin" for the key the AppHost makes: nothing that could hold a separator.
    private static bool IsKeyId(string keyId) => keyId.Length is > 0 and <= 64 && keyId.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    // The fields as the key carries them, joined: what is signed is exactly what is read back.
    private string Sign(IEnumerable<string> fields) =>
        Convert.ToBase64String(HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(string.Join('_', fields))))
            .TrimEnd('=').Replace('+', 'x').Replace('/', 'y');
}
