using AgentFleet.Gateway.Configuration;
using AgentFleet.Gateway.Telemetry;
using StackExchange.Redis;
using Microsoft.Extensions.Options;

namespace AgentFleet.Gateway.RateLimiting;

/// <summary>
/// Shared buckets in Redis while it answers, spent through <see cref="TokenLeases"/> for policies large enough to
/// lease; local buckets when Redis does not answer. After a failure Redis is left alone for a couple of seconds, so
/// an outage costs one timeout, not one per request.
/// </summary>
public sealed partial class GatewayRateLimiter(
    RedisTokenBucket shared, TokenLeases leases, LocalTokenBuckets local, IOptions<RateLimitingConfig> options, TimeProvider time, GatewayMetrics metrics,
    ILogger<GatewayRateLimiter> logger)
{
    private static readonly TimeSpan RedisRetry = TimeSpan.FromSeconds(2);

    private long _redisRetryAtTicks;
    private int _outage;

    /// <summary>The bucket of one partition (a key, or a client IP) of a policy: a Redis key, and the name of its lease and local bucket.</summary>
    public static string BucketKey(RateLimitPolicy policy, string partition) => $"fleet:ratelimit:{policy.Name}:{partition}";

    /// <summary>Takes a token from <paramref name="key"/> (see <see cref="BucketKey"/>).</summary>
    public async ValueTask<RateLimitDecision> TakeAsync(string key, RateLimitPolicy policy, CancellationToken cancellationToken)
    {
        if (leases.TryTake(key, out var leasedRemaining))
        {
            return new RateLimitDecision(true, leasedRemaining, TimeSpan.Zero);
        }
        if (time.GetUtcNow().UtcTicks >= Interlocked.Read(ref _redisRetryAtTicks))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.RedisTimeout);
            try
            {
                var (granted, remaining, retryAfter) = await shared.TakeAsync(key, policy, TokenLeases.BatchFor(policy), timeout.Token);
                if (Interlocked.Exchange(ref _outage, 0) == 1)
                {
                    LogRedisBack(logger);
                }
                leases.Keep(key, granted - 1, remaining);
                return new RateLimitDecision(granted > 0, remaining + Math.Max(0, granted - 1), retryAfter);
            }
            catch (Exception e) when (e is RedisException or TimeoutException
                || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                Interlocked.Exchange(ref _redisRetryAtTicks, (time.GetUtcNow() + RedisRetry).UtcTicks);
                if (Interlocked.Exchange(ref _outage, 1) == 0)
                {
                    LogRedisDown(logger, e.Message);
                }
            }
        }
        metrics.DecidedLocally();
        return local.Take(key, policy);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limiting without Redis ({Reason}): each gateway replica limits on its own until it is back.")]
    private static partial void LogRedisDown(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rate limiting is shared through Redis again.")]
    private static partial void LogRedisBack(ILogger logger);
}
