using System.Globalization;
using AgentFleet.Gateway.Configuration;
using AgentFleet.Redis;

namespace AgentFleet.Gateway.RateLimiting;

/// <summary>
/// The token buckets every gateway replica shares: one Redis hash per (policy, caller), read, refilled, taken from
/// and written back by one Lua script (EVALSHA), so concurrent replicas cannot both spend the last token. The script
/// reads Redis's own clock, so replicas with skewed clocks still agree.
/// </summary>
public sealed class RedisTokenBucket(IRedisClient redis)
{
    // KEYS[1] bucket; ARGV[1] capacity, ARGV[2] tokens per millisecond. Returns {allowed, remaining, retry after ms}.
    private const string Script =
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local capacity = tonumber(ARGV[1])
        local rate = tonumber(ARGV[2])
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
        local tokens = tonumber(state[1]) or capacity
        local at = tonumber(state[2]) or now
        tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
        local allowed, retry = 0, 0
        if tokens >= 1 then
          tokens = tokens - 1
          allowed = 1
        else
          retry = math.ceil((1 - tokens) / rate)
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
        return {allowed, math.floor(tokens), retry}
        """;

    public async ValueTask<RateLimitDecision> TakeAsync(string bucket, RateLimitPolicy policy, CancellationToken cancellationToken)
    {
        var reply = await redis.EvalAsync(Script, [bucket],
            [policy.PermitLimit, policy.TokensPerMillisecond.ToString("R", CultureInfo.InvariantCulture)], cancellationToken);
        var items = reply.Items;
        return new RateLimitDecision(items[0].AsInteger() == 1, items[1].AsInteger(), TimeSpan.FromMilliseconds(items[2].AsInteger()));
    }
}
