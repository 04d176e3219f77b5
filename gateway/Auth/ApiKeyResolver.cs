using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using AgentFleet.Grpc;
using AgentFleet.Grpc.Client;
using AgentFleet.ManagementApi.Contracts;
using AgentFleet.ServiceDefaults.Security;
using Google.Protobuf;

namespace AgentFleet.Gateway.Auth;

/// <summary>The key service could not be asked; the request is refused (503), never let through.</summary>
public sealed class KeyServiceUnavailableException(Exception inner) : Exception("ManagementApi could not verify the key.", inner);

/// <summary>
/// Who a presented key belongs to. The admin key (<c>MANAGEMENT_API_KEY</c>) is compared here, in constant time;
/// any other is looked up by its SHA-256 in ManagementApi over gRPC, and the answer, found or not, is cached for
/// <c>Gateway:KeyCacheSeconds</c> (default 5), which bounds how long a revoked key keeps working.
/// </summary>
public sealed class ApiKeyResolver
{
    private const int MaxCached = 10_000;

    private readonly byte[]? _adminHash;
    private readonly ManagementApiGrpc.ManagementApiClient _keys;
    private readonly TimeSpan _ttl;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, CachedKey> _cache = new();

    public ApiKeyResolver(IConfiguration configuration, ManagementApiGrpc.ManagementApiClient keys, TimeProvider time)
    {
        _adminHash = configuration["MANAGEMENT_API_KEY"] is { Length: > 0 } admin ? SHA256.HashData(Encoding.UTF8.GetBytes(admin)) : null;
        _keys = keys;
        _time = time;
        _ttl = TimeSpan.FromSeconds(configuration.GetValue("Gateway:KeyCacheSeconds", 5.0));
    }

    public static readonly CallerIdentity AdminIdentity = new("admin", "admin", CallerRole.Admin);

    /// <summary>The key's identity, or null for a key that is unknown or revoked.</summary>
    public async ValueTask<CallerIdentity?> ResolveAsync(string key, CancellationToken cancellationToken)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        if (_adminHash is not null && CryptographicOperations.FixedTimeEquals(hash, _adminHash))
        {
            return AdminIdentity;
        }
        var cacheKey = Convert.ToBase64String(hash);
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(cacheKey, out var cached) && cached.Expires > now)
        {
            return cached.Identity;
        }
        var identity = await LookUpAsync(hash, cancellationToken);
        if (_cache.Count >= MaxCached)
        {
            // Many distinct keys (someone guessing): start over rather than grow without bound.
            _cache.Clear();
        }
        _cache[cacheKey] = new CachedKey(identity, now + _ttl);
        return identity;
    }

    private async Task<CallerIdentity?> LookUpAsync(byte[] hash, CancellationToken cancellationToken)
    {
        VerifyKeyReply reply;
        try
        {
            reply = await _keys.VerifyKeyAsync(new VerifyKeyRequest { KeySha256 = ByteString.CopyFrom(hash) },
                new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(5), CancellationToken: cancellationToken));
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new KeyServiceUnavailableException(e);
        }
        return reply.Valid && CallerIdentity.TryParseRole(reply.Role, out var role) ? new CallerIdentity(reply.KeyId, reply.Owner, role) : null;
    }

    private sealed record CachedKey(CallerIdentity? Identity, DateTimeOffset Expires);
}
