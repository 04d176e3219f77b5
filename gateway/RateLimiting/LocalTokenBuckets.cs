using System.Collections.Concurrent;
using AgentFleet.Gateway.Configuration;

namespace AgentFleet.Gateway.RateLimiting;

/// <summary>
/// The same buckets in this process's memory, for while Redis is unreachable: each replica then limits on its own
/// (a caller spread over N replicas gets up to N times the limit) rather than not at all.
/// </summary>
public sealed class LocalTokenBuckets(TimeProvider time)
{
    private const int MaxBuckets = 100_000;

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new();

    public RateLimitDecision Take(string key, RateLimitPolicy policy)
    {
        if (_buckets.Count >= MaxBuckets)
        {
            _buckets.Clear();
        }
        var now = time.GetTimestamp();
        var bucket = _buckets.GetOrAdd(key, static (_, state) => new Bucket(state.PermitLimit, state.now), (policy.PermitLimit, now));
        lock (bucket)
        {
            var elapsedMs = time.GetElapsedTime(bucket.At, now).TotalMilliseconds;
            bucket.Tokens = Math.Min(policy.PermitLimit, bucket.Tokens + Math.Max(0, elapsedMs) * policy.TokensPerMillisecond);
            bucket.At = now;
            if (bucket.Tokens >= 1)
            {
                bucket.Tokens -= 1;
                return new RateLimitDecision(true, (long)bucket.Tokens, TimeSpan.Zero);
            }
            return new RateLimitDecision(false, 0, TimeSpan.FromMilliseconds(Math.Ceiling((1 - bucket.Tokens) / policy.TokensPerMillisecond)));
        }
    }

    private sealed class Bucket(double tokens, long at)
    {
        public double Tokens = tokens;
        public long At = at;
    }
}
