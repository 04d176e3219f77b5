using System.Net;
using System.Threading.RateLimiting;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using AgentFleet.ManagementApi.Contracts;
using AgentFleet.ServiceDefaults.Security;
using Google.Protobuf;
using Microsoft.Extensions.Caching.Memory;

namespace AgentFleet.Gateway.Auth;

/// <summary>The key service could not be asked; the request is refused (503), never let through.</summary>
public sealed class KeyServiceUnavailableException(Exception inner) : Exception("ManagementApi could not verify the key.", inner);

/// <summary>The client's failed keys have used up its allowance; the key is not even looked up (429).</summary>
public sealed class TooManyFailedKeysException(TimeSpan retryAfter) : Exception("Too many invalid keys from this client.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>
/// Who a presented key belongs to. The admin key (<c>MANAGEMENT_API_KEY</c>) is compared here, in constant time;
/// any other is looked up by its SHA-256 in ManagementApi over gRPC, and the answer, found or not, is cached for
/// <c>Gateway:KeyCacheSeconds</c> (default 5), which bounds how long a revoked key keeps working. The cache holds
/// at most <c>Gateway:KeyCacheSize</c> keys (10,000), evicting the least recently used. A client whose keys keep
/// failing (<c>Gateway:FailedKeyLimit</c>, 30 per <c>Gateway:FailedKeyWindow</c>, a minute, per client IP) gets
/// no more lookups until its allowance refills:
/// guessing keys costs the database nothing.
/// </summary>
public sealed class ApiKeyResolver : IDisposable
{
    private readonly byte[]? _adminHash;
    private readonly ManagementApiGrpc.ManagementApiClient _keys;
    private readonly TimeSpan _ttl;
    private readonly MemoryCache _cache;
    private readonly PartitionedRateLimiter<IPAddress> _failures;
    private readonly TimeSpan _failureRefill;

    public ApiKeyResolver(IConfiguration configuration, ManagementApiGrpc.ManagementApiClient keys)
    {
        _adminHash = configuration["MANAGEMENT_API_KEY"] is { Length: > 0 } admin ? SHA256.HashData(Encoding.UTF8.GetBytes(admin)) : null;
        _keys = keys;
        _ttl = TimeSpan.FromSeconds(configuration.GetValue("Gateway:KeyCacheSeconds", 5.0));
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = configuration.GetValue("Gateway:KeyCacheSize", 10_000) });
        // The allowance refills evenly, a twelfth of the window at a time.
        var allowed = configuration.GetValue("Gateway:FailedKeyLimit", 30);
        var window = configuration.GetValue("Gateway:FailedKeyWindow", TimeSpan.FromMinutes(1));
        _failureRefill = window / 12;
        _failures = PartitionedRateLimiter.Create<IPAddress, IPAddress>(client => RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = allowed,
            TokensPerPeriod = Math.Max(1, allowed / 12),
            ReplenishmentPeriod = _failureRefill,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    public static readonly CallerIdentity AdminIdentity = new("admin", "admin", CallerRole.Admin);

    /// <summary>
    /// The key's identity, or null for a key that is unknown or revoked. Throws <see cref="TooManyFailedKeysException"/>
    /// when <paramref name="client"/> has failed too often to be looked up again yet.
    /// </summary>
    public async ValueTask<CallerIdentity?> ResolveAsync(string key, IPAddress? client, CancellationToken cancellationToken)
    {
        // Every request with a key passes here: the hash goes on the stack, and only the cache key is a new string.
        var hash = HashOf(key, stackalloc byte[SHA256.HashSizeInBytes]);
        if (_adminHash is not null && CryptographicOperations.FixedTimeEquals(hash, _adminHash))
        {
            return AdminIdentity;
        }
        var cacheKey = Convert.ToBase64String(hash);
        if (_cache.TryGetValue(cacheKey, out CachedKey? cached))
        {
            return cached!.Identity;
        }
        var address = client ?? IPAddress.None;
        // Only failures spend the allowance; a client with none left is not looked up. (Whole permits: the bucket
        // refills in fractions, and a fraction is not a lookup's worth.)
        if (_failures.GetStatistics(address)?.CurrentAvailablePermits < 1)
        {
            throw new TooManyFailedKeysException(_failureRefill);
        }
        var identity = await LookUpAsync(hash.ToArray(), cancellationToken);
        if (identity is null)
        {
            _failures.AttemptAcquire(address, 1).Dispose();
        }
        _cache.Set(cacheKey, new CachedKey(identity), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _ttl });
        return identity;
    }

    // A one-shot hash looks the algorithm up on every call (OpenSSL 3); an instance per thread is only reset.
    private static readonly ThreadLocal<IncrementalHash> Sha256 = new(() => IncrementalHash.CreateHash(HashAlgorithmName.SHA256));

    private static Span<byte> HashOf(string key, Span<byte> hash)
    {
        var length = Encoding.UTF8.GetMaxByteCount(key.Length);
        var rented = length > 512 ? System.Buffers.ArrayPool<byte>.Shared.Rent(length) : null;
        try
        {
            Span<byte> utf8 = rented ?? stackalloc byte[512];
            var written = Encoding.UTF8.GetBytes(key, utf8);
            var sha256 = Sha256.Value!;
            sha256.AppendData(utf8[..written]);
            sha256.GetHashAndReset(hash);
            return hash;
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private async Task<CallerIdentity?> LookUpAsync(byte[] hash, CancellationToken cancellationToken)
    {
        VerifyKeyReply reply;
        try
        {
            reply = await _keys.VerifyKeyAsync(new VerifyKeyRequest { KeySha256 = ByteString.CopyFrom(hash) },
                new CallOptions(deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken));
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new KeyServiceUnavailableException(e);
        }
        return reply.Valid && CallerIdentity.TryParseRole(reply.Role, out var role) ? new CallerIdentity(reply.KeyId, reply.Owner, role) : null;
    }

    public void Dispose()
    {
        _cache.Dispose();
        _failures.Dispose();
    }

    private sealed record CachedKey(CallerIdentity? Identity);
}
