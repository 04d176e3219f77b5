using StackExchange.Redis;

namespace AgentFleet.ZaiProxy.Accounting;

/// <summary>
/// Spend counters every replica shares, in Redis: one per budget group and per API key period, in nano-dollars (exact
/// integers, INCRBY), named under <see cref="Prefix"/> and gone after <see cref="IdleExpiry"/> without use.
/// <para>
/// A missing counter is seeded from PostgreSQL's sum with SET NX, and a priced call only increments a counter that
/// exists (the row is queued after that, see <see cref="UsageRecorder"/>). So a call is counted by the counter or by
/// the seed, never by both: a seed can only read the rows committed before the counter existed. What neither counts
/// is a call priced before the counter existed whose row was not yet in PostgreSQL when the seed was read: the
/// recorder's batch in flight (milliseconds), or rows spooled while PostgreSQL is away. A replica that only ever read
/// the stored sum once, as each did alone, had the same window on its first read.
/// </para>
/// <para>
/// Without Redis configured, or while it does not answer, <see cref="ReadAsync"/> returns null and the caller uses this
/// replica's own figure (the stored sum plus its own calls): other replicas' calls in that time are not seen. A counter
/// this replica failed to increment is deleted once Redis answers again, so its next read seeds it afresh from
/// PostgreSQL rather than missing the outage's calls until it expires.
/// </para>
/// </summary>
public sealed partial class SpendCounters(IConnectionMultiplexer? redis, ILogger<SpendCounters> logger)
{
    public const string Prefix = "fleet:zai:spend:";

    /// <summary>Long enough that a counter outlives a long call; an expired one is seeded again, exactly, when idle.</summary>
    public static readonly TimeSpan IdleExpiry = TimeSpan.FromHours(1);

    // A model call waits at most this long for Redis before going on with this replica's figure.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(1);

    private const string SeedScript = """
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return ARGV[1] end
        return redis.call('GET', KEYS[1])
        """;

    private const string AddScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return false end
        local spent = redis.call('INCRBY', KEYS[1], ARGV[1])
        redis.call('EXPIRE', KEYS[1], ARGV[2])
        return spent
        """;

    /// <summary>The shared figure, seeded from <paramref name="stored"/> when missing; null while Redis cannot answer.</summary>
    public async Task<decimal?> ReadAsync(string key, Func<Task<decimal>> stored, CancellationToken cancellationToken)
    {
        if (redis is null || !await ReachableAsync())
        {
            return null;
        }
        RedisValue spent;
        try
        {
            spent = await redis.GetDatabase().StringGetSetExpiryAsync(key, IdleExpiry).WaitAsync(Patience, cancellationToken);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return Unreachable(e.Message);
        }
        if (spent.IsNull)
        {
            // PostgreSQL's errors are not Redis's: they reach the caller, as they did before counters were shared.
            var seed = ToNanos(await stored());
            try
            {
                spent = (RedisValue)await redis.GetDatabase().ScriptEvaluateAsync(SeedScript, [key], [seed, (long)IdleExpiry.TotalSeconds])
                    .WaitAsync(Patience, cancellationToken);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                return Unreachable(e.Message);
            }
        }
        Reachable();
        return (long)spent / 1_000_000_000m;
    }

    /// <summary>Adds a priced call to those of the counters that exist; never throws for Redis.</summary>
    public async Task AddAsync(IReadOnlyList<string> keys, decimal cost)
    {
        if (redis is null || keys.Count == 0)
        {
            return;
        }
        if (!await ReachableAsync())
        {
            Missed(keys);
            return;
        }
        try
        {
            var database = redis.GetDatabase();
            var nanos = ToNanos(cost);
            await Task.WhenAll(keys.Select(key => database.ScriptEvaluateAsync(AddScript, [key], [nanos, (long)IdleExpiry.TotalSeconds]))).WaitAsync(Patience);
            Reachable();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Some may have landed: deleting them all later, to be seeded again, is right either way.
            Missed(keys);
            Unreachable(e.Message);
        }
    }

    public static long ToNanos(decimal usd) => (long)Math.Round(usd * 1_000_000_000m, MidpointRounding.AwayFromZero);
}
