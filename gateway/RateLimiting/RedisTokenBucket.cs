using System.Globalization;
using AgentFleet.Gateway.Configuration;
using StackExchange.Redis;

namespace AgentFleet.Gateway.RateLimiting;

/// <summary>
/// The token buckets every gateway replica shares: one Redis hash per (policy, caller), read, refilled, taken from
/// and written back by one Lua script (EVALSHA once the server has it), so concurrent replicas cannot both spend the last token. The script
/// reads Redis's own clock, so replicas with skewed clocks still agree. A call may take several tokens at once (a
/// lease, see <see cref="TokenLeases"/>): it gets as many as the bucket holds, up to what it asked for.
/// </summary>
public sealed class RedisTokenBucket(IConnectionMultiplexer redis)
{
    // KEYS[1] bucket; ARGV[1] capacity, ARGV[2] tokens per millisecond, ARGV[3] tokens wanted.
    // Returns {granted, remaining, retry after ms}.
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
        local granted, retry = 0, 0
        if tokens >= 1 then
          granted = math.min(tonumber(ARGV[3]), math.floor(tokens))
          tokens = tokens - granted
        else
          retry = math.ceil((1 - tokens) / rate)
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
        return {granted, math.floor(tokens), retry}
        """;

    /// <summary>Takes up to <paramref name="wanted"/> tokens; returns how many were granted (0: refused), what is left, and when one will be there.</summary>
    public async ValueTask<(int Granted, long Remaining, TimeSpan RetryAfter)> TakeAsync(string bucket, RateLimitPolicy policy, int wanted, CancellationToken cancellationToken)
    {
        var reply = await redis.GetDatabase().ScriptEvaluateAsync(Script, [bucket],
            [policy.PermitLimit, policy.TokensPerMillisecond.ToString("R", CultureInfo.InvariantCulture), wanted]).WaitAsync(cancellationToken);
        var items = (RedisResult[])reply!;
        return ((int)items[0], (long)items[1], TimeSpan.FromMilliseconds((long)items[2]));
    }
}
