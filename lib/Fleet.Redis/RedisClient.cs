using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using AgentFleet.Redis.Connection;
using AgentFleet.Redis.Protocol;

namespace AgentFleet.Redis;

/// <summary>The typed commands the project needs, over one multiplexed connection and, on first use, a subscriber connection.</summary>
public sealed class RedisClient : IRedisClient
{
    private readonly RedisConnection _connection;
    private readonly SemaphoreSlim _subscriberGate = new(1, 1);
    private readonly ConcurrentDictionary<string, string> _scriptShas = new(StringComparer.Ordinal);
    private RedisSubscriber? _subscriber;

    private RedisClient(RedisConnection connection) => _connection = connection;

    public RedisOptions Options => _connection.Options;

    public bool IsConnected => _connection.IsConnected;

    public event Action? SubscriptionsLost;

    public event Action? SubscriptionsRestored;

    public static async Task<RedisClient> ConnectAsync(RedisOptions options, CancellationToken cancellationToken = default) =>
        new(await RedisConnection.ConnectAsync(options, cancellationToken: cancellationToken));

    public static Task<RedisClient> ConnectAsync(string connectionString, CancellationToken cancellationToken = default) =>
        ConnectAsync(RedisOptions.Parse(connectionString), cancellationToken);

    /// <summary>A client that connects in the background and keeps trying; for registration at start-up.</summary>
    public static RedisClient Connecting(RedisOptions options) => new(RedisConnection.Connecting(options));

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken = default) =>
        (await RunAsync(["GET", key], cancellationToken)).AsBytes();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<string?> GetStringAsync(string key, CancellationToken cancellationToken = default) =>
        (await RunAsync(["GET", key], cancellationToken)).AsString();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> SetAsync(string key, byte[] value, TimeSpan? expiry = null, bool onlyIfNotExists = false, CancellationToken cancellationToken = default)
    {
        RedisArg[] command = (expiry, onlyIfNotExists) switch
        {
            (null, false) => ["SET", key, value],
            (null, true) => ["SET", key, value, "NX"],
            ({ } ttl, false) => ["SET", key, value, "EX", (long)Math.Ceiling(ttl.TotalSeconds)],
            ({ } ttl, true) => ["SET", key, value, "EX", (long)Math.Ceiling(ttl.TotalSeconds), "NX"],
        };
        return !(await RunAsync(command, cancellationToken)).IsNull;
    }

    public ValueTask<bool> SetAsync(string key, string value, TimeSpan? expiry = null, bool onlyIfNotExists = false, CancellationToken cancellationToken = default) =>
        SetAsync(key, Encoding.UTF8.GetBytes(value), expiry, onlyIfNotExists, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<long> DeleteAsync(string[] keys, CancellationToken cancellationToken = default) =>
        (await RunAsync([.. keys.Select(k => (RedisArg)k).Prepend("DEL")], cancellationToken)).AsInteger();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<long> IncrementAsync(string key, long by = 1, CancellationToken cancellationToken = default) =>
        (await RunAsync(by == 1 ? ["INCR", key] : ["INCRBY", key, by], cancellationToken)).AsInteger();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> ExpireAsync(string key, TimeSpan expiry, CancellationToken cancellationToken = default) =>
        (await RunAsync(["EXPIRE", key, (long)Math.Ceiling(expiry.TotalSeconds)], cancellationToken)).AsInteger() == 1;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<RespValue> EvalAsync(string script, string[] keys, RedisArg[] arguments, CancellationToken cancellationToken = default)
    {
        var sha = _scriptShas.GetOrAdd(script, static s => Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(s))));
        RedisArg[] Command(string verb, string body) => [verb, body, keys.Length, .. keys.Select(k => (RedisArg)k), .. arguments];
        try
        {
            return await RunAsync(Command("EVALSHA", sha), cancellationToken);
        }
        catch (RedisServerException ex) when (ex.Kind == "NOSCRIPT")
        {
            // The server has not seen it (or restarted): EVAL sends it once and caches it there.
            return await RunAsync(Command("EVAL", script), cancellationToken);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<long> PublishAsync(string channel, byte[] message, CancellationToken cancellationToken = default) =>
        (await RunAsync(["PUBLISH", channel, message], cancellationToken)).AsInteger();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<string> XAddAsync(string stream, IReadOnlyList<KeyValuePair<string, byte[]>> fields, string id = "*", long? maxLength = null, CancellationToken cancellationToken = default)
    {
        var command = new List<RedisArg> { "XADD", stream };
        if (maxLength is { } max)
        {
            command.AddRange(["MAXLEN", "~", max]);
        }
        command.Add(id);
        foreach (var (field, value) in fields)
        {
            command.Add(field);
            command.Add(value);
        }
        return (await RunAsync([.. command], cancellationToken)).AsString()!;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<IReadOnlyList<StreamEntry>> XRangeAsync(string stream, string start = "-", string end = "+", long? count = null, CancellationToken cancellationToken = default)
    {
        RedisArg[] command = count is { } n ? ["XRANGE", stream, start, end, "COUNT", n] : ["XRANGE", stream, start, end];
        return StreamEntry.ListFrom(await RunAsync(command, cancellationToken));
    }

    /// <summary>XREAD from one stream after <paramref name="afterId"/>; waits up to <paramref name="block"/> when given.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<IReadOnlyList<StreamEntry>> XReadAsync(string stream, string afterId, long? count = null, TimeSpan? block = null, CancellationToken cancellationToken = default)
    {
        var command = new List<RedisArg> { "XREAD" };
        if (count is { } n)
        {
            command.AddRange(["COUNT", n]);
        }
        if (block is { } wait)
        {
            command.AddRange(["BLOCK", (long)wait.TotalMilliseconds]);
        }
        command.AddRange(["STREAMS", stream, afterId]);
        var reply = await RunAsync([.. command], cancellationToken);
        if (reply.IsNull)
        {
            return [];
        }
        // RESP2: [[stream, entries]]; RESP3: {stream: entries}.
        var entries = reply.Type == RespType.Map ? reply.Items[1] : reply.Items[0].Items[1];
        return StreamEntry.ListFrom(entries);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<long> HSetAsync(string key, IReadOnlyList<KeyValuePair<string, byte[]>> fields, CancellationToken cancellationToken = default) =>
        (await RunAsync([.. fields.SelectMany(f => new RedisArg[] { f.Key, f.Value }).Prepend(key).Prepend("HSET")], cancellationToken)).AsInteger();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<IReadOnlyDictionary<string, byte[]>> HGetAllAsync(string key, CancellationToken cancellationToken = default)
    {
        var items = (await RunAsync(["HGETALL", key], cancellationToken)).Items;
        var fields = new Dictionary<string, byte[]>(items.Length / 2, StringComparer.Ordinal);
        for (var i = 0; i + 1 < items.Length; i += 2)
        {
            fields[items[i].AsString()!] = items[i + 1].AsBytes() ?? [];
        }
        return fields;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<string> PingAsync(CancellationToken cancellationToken = default) =>
        (await RunAsync(["PING"], cancellationToken)).AsString()!;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<string> InfoAsync(string? section = null, CancellationToken cancellationToken = default) =>
        (await RunAsync(section is null ? ["INFO"] : ["INFO", section], cancellationToken)).AsString()!;

    public ValueTask<RespValue> ExecuteAsync(params object[] arguments) =>
        RunAsync([.. arguments.Select(RedisArg.From)], CancellationToken.None);

    public async Task<IAsyncDisposable> SubscribeAsync(string channel, Func<RedisMessage, Task> handler, CancellationToken cancellationToken = default) =>
        await (await SubscriberAsync(cancellationToken)).SubscribeAsync(channel, handler, cancellationToken);

    public async Task<IAsyncDisposable> PSubscribeAsync(string pattern, Func<RedisMessage, Task> handler, CancellationToken cancellationToken = default) =>
        await (await SubscriberAsync(cancellationToken)).PSubscribeAsync(pattern, handler, cancellationToken);

    private async Task<RedisSubscriber> SubscriberAsync(CancellationToken cancellationToken)
    {
        await _subscriberGate.WaitAsync(cancellationToken);
        try
        {
            if (_subscriber is null)
            {
                _subscriber = await RedisSubscriber.ConnectAsync(_connection.Options, cancellationToken);
                _subscriber.Lost += () => SubscriptionsLost?.Invoke();
                _subscriber.Restored += () => SubscriptionsRestored?.Invoke();
            }
            return _subscriber;
        }
        finally
        {
            _subscriberGate.Release();
        }
    }

    /// <summary>Every command goes through here: a client span (db.system=redis) and the duration metric.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RespValue> RunAsync(RedisArg[] command, CancellationToken cancellationToken)
    {
        var name = command[0].ToString();
        using var activity = RedisTelemetry.StartCommand(name, _connection.Options);
        var started = Stopwatch.GetTimestamp();
        var outcome = "ok";
        try
        {
            return await _connection.ExecuteAsync(command, cancellationToken);
        }
        catch (Exception ex)
        {
            outcome = ex switch { RedisServerException server => server.Kind, TimeoutException => "timeout", RedisConnectionException => "connection", _ => "error" };
            activity?.SetStatus(ActivityStatusCode.Error, outcome);
            throw;
        }
        finally
        {
            RedisTelemetry.RecordCommand(name, outcome, Stopwatch.GetElapsedTime(started));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_subscriber is not null)
        {
            await _subscriber.DisposeAsync();
        }
        await _connection.DisposeAsync();
        _subscriberGate.Dispose();
    }
}

/// <summary>One entry of a stream: its id and its field/value pairs.</summary>
public sealed record StreamEntry(string Id, IReadOnlyList<KeyValuePair<string, byte[]>> Fields)
{
    internal static IReadOnlyList<StreamEntry> ListFrom(RespValue entries) =>
        [.. entries.Items.Select(entry =>
        {
            var pairs = entry.Items[1].Items;
            var fields = new List<KeyValuePair<string, byte[]>>(pairs.Length / 2);
            for (var i = 0; i + 1 < pairs.Length; i += 2)
            {
                fields.Add(new(pairs[i].AsString()!, pairs[i + 1].AsBytes() ?? []));
            }
            return new StreamEntry(entry.Items[0].AsString()!, fields);
        })];
}
