using System.Diagnostics;
using System.Globalization;
using System.Threading.RateLimiting;
using AgentFleet.Gateway.Configuration;

namespace AgentFleet.Gateway.RateLimiting;

/// <summary>
/// One partition (a key, or a client IP) of a route's policy as an ASP.NET Core <see cref="RateLimiter"/>, over the
/// buckets every gateway replica shares (<see cref="GatewayRateLimiter"/>: Redis, leases, a local fallback). The
/// answer's <c>X-RateLimit-Limit</c> and <c>X-RateLimit-Remaining</c> are set here, where the bucket's state is known.
/// </summary>
public sealed class SharedBucketLimiter(GatewayRateLimiter buckets, string partition, RateLimitPolicy policy, IHttpContextAccessor accessor) : RateLimiter
{
    // Named once per partition, not per request.
    private readonly string _bucket = GatewayRateLimiter.BucketKey(policy, partition);
    private readonly string _limit = policy.PermitLimit.ToString(CultureInfo.InvariantCulture);
    private long _lastUsed = Stopwatch.GetTimestamp();

    // Holds no state of its own (that is in the buckets), so an idle one may be dropped and made again.
    public override TimeSpan? IdleDuration => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastUsed));

    public override RateLimiterStatistics? GetStatistics() => null;

    // Only asynchronous acquisition, which is what the rate-limiting middleware asks for: a bucket may be in Redis.
    protected override RateLimitLease AttemptAcquireCore(int permitCount) => new BucketLease(false, policy, TimeSpan.Zero);

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _lastUsed, Stopwatch.GetTimestamp());
        var decision = await buckets.TakeAsync(_bucket, policy, cancellationToken);
        if (accessor.HttpContext?.Response.Headers is { } headers)
        {
            headers["X-RateLimit-Limit"] = _limit;
            headers["X-RateLimit-Remaining"] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
        }
        return new BucketLease(decision.Allowed, policy, decision.RetryAfter);
    }

    /// <summary>A bucket's answer; a refusal carries when a token will be there, and the policy it came from.</summary>
    public sealed class BucketLease(bool acquired, RateLimitPolicy policy, TimeSpan retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => acquired;

        public RateLimitPolicy Policy => policy;

        public override IEnumerable<string> MetadataNames => acquired ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = !acquired && metadataName == MetadataName.RetryAfter.Name ? retryAfter : null;
            return metadata is not null;
        }
    }
}
