using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;

namespace AgentFleet.ServiceDefaults.Security;

/// <summary>
/// Signs and checks the caller identity the gateway forwards. The HMAC-SHA256 covers the identity, the time it was
/// issued, and the method and path it was issued for, so a captured set of headers neither changes hands nor
/// reaches another endpoint, and goes stale after <see cref="MaxAge"/>. The secret is <c>Identity:Secret</c>,
/// shared by the gateway and the services; without one, a random secret makes every signature fail (closed).
/// </summary>
public sealed class IdentitySigner
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    private readonly byte[] _secret;
    private readonly TimeProvider _time;

    public IdentitySigner(IConfiguration configuration, TimeProvider? time = null)
        : this(configuration["Identity:Secret"], time)
    {
    }

    public IdentitySigner(string? secret, TimeProvider? time = null)
    {
        _secret = secret is { Length: > 0 } ? Encoding.UTF8.GetBytes(secret) : RandomNumberGenerator.GetBytes(32);
        _time = time ?? TimeProvider.System;
        // A one-shot HMAC sets the key up anew on every call (in OpenSSL 3, a provider lookup); a keyed instance per
        // thread is reset instead. Every request the gateway forwards, and every one a service checks, is signed.
        _hmac = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _secret));
    }

    private readonly ThreadLocal<IncrementalHash> _hmac;

    private long NowSeconds() => _time == TimeProvider.System ? SystemSeconds.UnixSeconds : _time.GetUtcNow().ToUnixTimeSeconds();

    private string IssuedNow() => _time == TimeProvider.System
        ? SystemSeconds.Now
        : _time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Sets the identity headers for a request to <paramref name="method"/> <paramref name="path"/> (as sent: encoded, no query).</summary>
    public void Sign(CallerIdentity identity, string method, string path, Action<string, string> setHeader)
    {
        var issued = IssuedNow();
        var role = CallerIdentity.RoleName(identity.Role);
        setHeader(IdentityHeaders.KeyId, identity.KeyId);
        setHeader(IdentityHeaders.Owner, identity.Owner);
        setHeader(IdentityHeaders.Role, role);
        setHeader(IdentityHeaders.Issued, issued);
        setHeader(IdentityHeaders.Signature, Compute(identity.KeyId, identity.Owner, role, issued, method, path));
    }

    /// <summary>The identity a request carries, or null when it carries none or its signature does not hold.</summary>
    public CallerIdentity? Verify(HttpRequest request)
    {
        var headers = request.Headers;
        var signature = headers[IdentityHeaders.Signature].ToString();
        if (signature.Length == 0)
        {
            return null;
        }
        var keyId = headers[IdentityHeaders.KeyId].ToString();
        var owner = headers[IdentityHeaders.Owner].ToString();
        var role = headers[IdentityHeaders.Role].ToString();
        var issued = headers[IdentityHeaders.Issued].ToString();
        if (keyId.Length == 0 || owner.Length == 0 || !CallerIdentity.TryParseRole(role, out var parsedRole)
            || !long.TryParse(issued, out var issuedAt)
            || Math.Abs(NowSeconds() - issuedAt) > MaxAge.TotalSeconds)
        {
            return null;
        }
        var expected = Compute(keyId, owner, role, issued, request.Method, RawPath(request.HttpContext));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature))
            ? new CallerIdentity(keyId, owner, parsedRole)
            : null;
    }

    /// <summary>The path as it came over the wire, before decoding: what the signer saw when it built the request.</summary>
    public static string RawPath(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
        var query = target.IndexOf('?');
        return query < 0 ? target : target[..query];
    }

    private string Compute(string keyId, string owner, string role, string issued, string method, string path)
    {
        // Every proxied request is signed: the payload is encoded into a pooled buffer, not a string and an array of its own.
        var text = $"v1\n{keyId}\n{owner}\n{role}\n{issued}\n{method.ToUpperInvariant()}\n{path}";
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(text, buffer);
            Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
            var hmac = _hmac.Value!;
            hmac.AppendData(buffer.AsSpan(0, length));
            hmac.GetHashAndReset(mac);
            return Convert.ToBase64String(mac);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
