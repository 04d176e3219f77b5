using System.Collections.Concurrent;
using AgentFleet.Gateway.Configuration;
using AgentFleet.Gateway.Telemetry;
using StackExchange.Redis;
using Microsoft.Extensions.Options;

namespace AgentFleet.Gateway.RateLimiting;

/// <summary>
/// Shared buckets in Redis while it answers, spent through <see cref="TokenLeases"/>; local buckets when Redis does not
/// answer. After a failure Redis is left alone for a couple of seconds, so an outage costs one timeout, not one per
/// request.
/// </summary>
/// <remarks>
/// One Redis call per bucket at a time: requests that find the lease empty wait for the call in flight rather than
/// each making their own. A lease of several tokens is renewed when it is down to its last quarter, while its last
/// tokens are spent, so a busy caller's requests seldom wait on Redis at all.
/// </remarks>
public sealed partial class GatewayRateLimiter(
    RedisTokenBucket shared, TokenLeases leases, LocalTokenBuckets local, IOptions<RateLimitingConfig> options, TimeProvider time, GatewayMetrics metrics,
    ILogger<GatewayRateLimiter> logger)
{
    private static readonly TimeSpan RedisRetry = TimeSpan.FromSeconds(2);

    // A request waits for at most this many Redis calls that others' requests emptied before it could take a token.
    private const int MaxRefillWaits = 2;

    private readonly ConcurrentDictionary<string, Task<Refill?>> _refills = new(StringComparer.Ordinal);
    private long _redisRetryAtTicks;
    private int _outage;

    /// <summary>The bucket of one partition (a key, or a client IP) of a policy: a Redis key, and the name of its lease and local bucket.</summary>
    public static string BucketKey(RateLimitPolicy policy, string partition) => $"fleet:ratelimit:{policy.Name}:{partition}";

    /// <summary>Takes a token from <paramref name="key"/> (see <see cref="BucketKey"/>).</summary>
    public async ValueTask<RateLimitDecision> TakeAsync(string key, RateLimitPolicy policy, CancellationToken cancellationToken)
    {
        var batch = TokenLeases.BatchFor(policy);
        for (var wait = 0; wait <= MaxRefillWaits; wait++)
        {
            if (leases.TryTake(key, batch, out var leasedRemaining, out var runningLow))
            {
                if (runningLow && batch > 1 && RedisAnswers)
                {
                    _ = RefillAsync(key, policy, batch);
                }
                return new RateLimitDecision(true, leasedRemaining, TimeSpan.Zero);
            }
            if (!RedisAnswers)
            {
                break;
            }
            if (await RefillAsync(key, policy, batch).WaitAsync(cancellationToken) is not { } refill)
            {
                break;
            }
            if (refill.Granted == 0)
            {
                return new RateLimitDecision(false, refill.Remaining, refill.RetryAfter);
            }
            // The grant is in the lease now; the next pass takes from it, unless other requests were quicker.
        }
        if (RedisAnswers)
        {
            // Other requests kept emptying the lease first: this one takes its token in a call of its own.
            if (await TakeDirectAsync(key, policy, batch, cancellationToken) is { } decision)
            {
                return decision;
            }
        }
        metrics.DecidedLocally();
        return local.Take(key, policy);
    }

    private async ValueTask<RateLimitDecision?> TakeDirectAsync(string key, RateLimitPolicy policy, int batch, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.RedisTimeout);
        try
        {
            var (granted, remaining, retryAfter) = await shared.TakeAsync(key, policy, batch, timeout.Token);
            leases.Keep(key, granted - 1, remaining);
            return new RateLimitDecision(granted > 0, remaining + Math.Max(0, granted - 1), retryAfter);
        }
        catch (Exception e) when (e is RedisException or TimeoutException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            RedisFailed(e);
            return null;
        }
    }

    private bool RedisAnswers => time.GetUtcNow().UtcTicks >= Interlocked.Read(ref _redisRetryAtTicks);

    /// <summary>The Redis call in flight for the bucket, or a new one; its grant goes to the lease. Null: Redis failed.</summary>
    private Task<Refill?> RefillAsync(string key, RateLimitPolicy policy, int batch)
    {
        while (true)
        {
            if (_refills.TryGetValue(key, out var running))
            {
                return running;
            }
            var refill = new TaskCompletionSource<Refill?>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_refills.TryAdd(key, refill.Task))
            {
                _ = CallRedisAsync(key, policy, batch, refill);
                return refill.Task;
            }
        }
    }

    private async Task CallRedisAsync(string key, RateLimitPolicy policy, int batch, TaskCompletionSource<Refill?> refill)
    {
        // Not the caller's token: the call serves every request waiting on it, and a prefetch has no caller.
        using var timeout = new CancellationTokenSource(options.Value.RedisTimeout);
        Refill? result = null;
        try
        {
            var (granted, remaining, retryAfter) = await shared.TakeAsync(key, policy, batch, timeout.Token);
            if (Interlocked.Exchange(ref _outage, 0) == 1)
            {
                LogRedisBack(logger);
            }
            leases.Keep(key, granted, remaining);
            result = new Refill(granted, remaining, retryAfter);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or OperationCanceledException)
        {
            RedisFailed(e);
        }
        finally
        {
            _refills.TryRemove(new KeyValuePair<string, Task<Refill?>>(key, refill.Task));
            refill.SetResult(result);
        }
    }

    private void RedisFailed(Exception e)
    {
        Interlocked.Exchange(ref _redisRetryAtTicks, (time.GetUtcNow() + RedisRetry).UtcTicks);
        if (Interlocked.Exchange(ref _outage, 1) == 0)
        {
            LogRedisDown(logger, e.Message);
        }
    }

    private sealed record Refill(int Granted, long Remaining, TimeSpan RetryAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limiting without Redis ({Reason}): each gateway replica limits on its own until it is back.")]
    private static partial void LogRedisDown(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rate limiting is shared through Redis again.")]
    private static partial void LogRedisBack(ILogger logger);
}
