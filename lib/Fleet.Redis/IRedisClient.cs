using AgentFleet.Redis.Connection;
using AgentFleet.Redis.Protocol;

namespace AgentFleet.Redis;

/// <summary>
/// What the services use of Redis. A small seam on purpose: StackExchange.Redis (not in the feed) could
/// stand behind it later without touching a service.
/// </summary>
public interface IRedisClient : IAsyncDisposable
{
    /// <summary>Whether the command connection is up now; when it is down, a live subscription misses messages too.</summary>
    bool IsConnected { get; }

    /// <summary>The pub/sub connection broke: subscriptions deliver nothing, and what is published meanwhile is lost to them.</summary>
    event Action? SubscriptionsLost;

    /// <summary>The pub/sub connection is back and every subscription restored.</summary>
    event Action? SubscriptionsRestored;

    ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>SET with optional EX seconds and NX; false when NX found the key already there.</summary>
    ValueTask<bool> SetAsync(string key, byte[] value, TimeSpan? expiry = null, bool onlyIfNotExists = false, CancellationToken cancellationToken = default);

    ValueTask<long> DeleteAsync(string[] keys, CancellationToken cancellationToken = default);

    ValueTask<long> IncrementAsync(string key, long by = 1, CancellationToken cancellationToken = default);

    ValueTask<bool> ExpireAsync(string key, TimeSpan expiry, CancellationToken cancellationToken = default);

    /// <summary>Runs a Lua script by its SHA1 (EVALSHA), sending the source only when the server does not know it.</summary>
    ValueTask<RespValue> EvalAsync(string script, string[] keys, RedisArg[] arguments, CancellationToken cancellationToken = default);

    /// <summary>Returns how many subscribers received the message.</summary>
    ValueTask<long> PublishAsync(string channel, byte[] message, CancellationToken cancellationToken = default);

    Task<IAsyncDisposable> SubscribeAsync(string channel, Func<RedisMessage, Task> handler, CancellationToken cancellationToken = default);

    Task<IAsyncDisposable> PSubscribeAsync(string pattern, Func<RedisMessage, Task> handler, CancellationToken cancellationToken = default);

    ValueTask<string> PingAsync(CancellationToken cancellationToken = default);

    /// <summary>Any command: <c>ExecuteAsync("LPUSH", "queue", "job")</c>.</summary>
    ValueTask<RespValue> ExecuteAsync(params object[] arguments);
}
