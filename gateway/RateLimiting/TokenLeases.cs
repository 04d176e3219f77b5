using System.Collections.Concurrent;
using AgentFleet.Gateway.Configuration;

namespace AgentFleet.Gateway.RateLimiting;

/// <summary>
/// Tokens a replica has taken from a shared bucket ahead of need, spent locally without a Redis round trip. A
/// policy of L requests per window leases L / 100 tokens at a time (at most 64, at least 1: the 100-a-minute default
/// takes one per request, exactly as without leases). A lease lapses after <see cref="Lifetime"/>; its unspent tokens
/// are not given back, so leasing can only make a limit stricter, never looser, and by at most a lease and a quarter per
/// replica (a lease is renewed while its last quarter is being spent).
/// </summary>
public sealed class TokenLeases(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(1);

    private const int MaxLeases = 100_000;
    private const int MaxBatch = 64;

    private readonly ConcurrentDictionary<string, Lease> _leases = new();

    public static int BatchFor(RateLimitPolicy policy) => Math.Clamp(policy.PermitLimit / 100, 1, MaxBatch);

    /// <summary>
    /// Spends one leased token if there is a live one; <paramref name="remaining"/> is then what the bucket held plus the
    /// lease, and <paramref name="running"/> says the lease is down to its last quarter, time to ask for the next one.
    /// </summary>
    public bool TryTake(string key, int batch, out long remaining, out bool runningLow)
    {
        remaining = 0;
        runningLow = false;
        if (!_leases.TryGetValue(key, out var lease))
        {
            return false;
        }
        lock (lease)
        {
            if (lease.Left == 0 || time.GetTimestamp() > lease.ExpiresAt)
            {
                return false;
            }
            lease.Left--;
            remaining = lease.BucketRemaining + lease.Left;
            runningLow = lease.Left <= batch / 4;
            return true;
        }
    }

    /// <summary>Keeps the tokens a Redis call granted, for the requests that spend them.</summary>
    public void Keep(string key, int granted, long bucketRemaining)
    {
        if (granted <= 0)
        {
            return;
        }
        if (_leases.Count >= MaxLeases)
        {
            _leases.Clear();
        }
        var lease = _leases.GetOrAdd(key, static _ => new Lease());
        lock (lease)
        {
            // A lease still holding tokens (another request's grant raced this one) keeps them too.
            var live = time.GetTimestamp() <= lease.ExpiresAt ? lease.Left : 0;
            lease.Left = live + granted;
            lease.BucketRemaining = bucketRemaining;
            lease.ExpiresAt = time.GetTimestamp() + (long)(Lifetime.TotalSeconds * time.TimestampFrequency);
        }
    }

    private sealed class Lease
    {
        public int Left;
        public long BucketRemaining;
        public long ExpiresAt;
    }
}
