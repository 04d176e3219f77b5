using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using AgentFleet.Redis.Protocol;

namespace AgentFleet.Redis.Connection;

/// <summary>A message received on a channel (and, for a pattern subscription, the pattern it matched).</summary>
public sealed record RedisMessage(string Channel, byte[] Payload, string? Pattern = null)
{
    public string Text => Encoding.UTF8.GetString(Payload);
}

/// <summary>
/// Pub/sub on a connection of its own. Each subscription hands its messages, in order, to its handler
/// through a queue of its own, so a slow handler never holds up the socket or other subscriptions.
/// Subscriptions are restored after a reconnect.
/// </summary>
public sealed class RedisSubscriber : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(bool Pattern, string Name), Subscription> _subscriptions = new();
    private readonly ConcurrentDictionary<(bool Pattern, string Name), TaskCompletionSource> _confirmations = new();
    private RedisConnection _connection = null!;

    public static async Task<RedisSubscriber> ConnectAsync(RedisOptions options, CancellationToken cancellationToken = default)
    {
        var subscriber = new RedisSubscriber();
        subscriber._connection = await RedisConnection.ConnectAsync(options, subscriber.OnFrame, cancellationToken);
        subscriber._connection.SubscriberMode = true;
        subscriber._connection.Reconnected += subscriber.ResubscribeAsync;
        subscriber._connection.Lost += () => subscriber.Lost?.Invoke();
        return subscriber;
    }

    /// <summary>The pub/sub connection broke: no subscription delivers until <see cref="Restored"/>.</summary>
    public event Action? Lost;

    /// <summary>Connected again, every subscription restored.</summary>
    public event Action? Restored;

    /// <summary>Messages on <paramref name="channel"/> go to <paramref name="handler"/>, one at a time, in order.</summary>
    public Task<IAsyncDisposable> SubscribeAsync(string channel, Func<RedisMessage, Task> handler, CancellationToken cancellationToken = default) =>
        AddAsync(pattern: false, channel, handler, cancellationToken);

    /// <summary>Messages on every channel matching the glob <paramref name="pattern"/>.</summary>
    public Task<IAsyncDisposable> PSubscribeAsync(string pattern, Func<RedisMessage, Task> handler, CancellationToken cancellationToken = default) =>
        AddAsync(pattern: true, pattern, handler, cancellationToken);

    private async Task<IAsyncDisposable> AddAsync(bool pattern, string name, Func<RedisMessage, Task> handler, CancellationToken cancellationToken)
    {
        var subscription = new Subscription(this, pattern, name, handler);
        if (!_subscriptions.TryAdd((pattern, name), subscription))
        {
            subscription.Complete();
            throw new InvalidOperationException($"Already subscribed to {(pattern ? "pattern " : "")}'{name}'.");
        }
        try
        {
            await SendAsync(pattern ? "PSUBSCRIBE" : "SUBSCRIBE", pattern, name, cancellationToken);
        }
        catch
        {
            // The caller was told it failed: it must not be restored on a reconnect, nor block a retry.
            _subscriptions.TryRemove((pattern, name), out _);
            subscription.Complete();
            throw;
        }
        return subscription;
    }

    private async Task RemoveAsync(Subscription subscription)
    {
        if (_subscriptions.TryRemove((subscription.IsPattern, subscription.Name), out _) && _connection.IsConnected)
        {
            await SendAsync(subscription.IsPattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", subscription.IsPattern, subscription.Name, CancellationToken.None);
        }
    }

    /// <summary>Sends the command and waits for the server's confirmation, which arrives as a push.</summary>
    private async Task SendAsync(string command, bool pattern, string name, CancellationToken cancellationToken)
    {
        var confirmed = _confirmations.GetOrAdd((pattern, name), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await _connection.SendWithoutReplyAsync([command, name], cancellationToken);
        await confirmed.Task.WaitAsync(_connection.Options.CommandTimeout, cancellationToken);
    }

    private async Task ResubscribeAsync()
    {
        foreach (var key in _subscriptions.Keys)
        {
            await SendAsync(key.Pattern ? "PSUBSCRIBE" : "SUBSCRIBE", key.Pattern, key.Name, CancellationToken.None);
        }
        Restored?.Invoke();
    }

    /// <summary>Runs on the socket reader: routes, never waits.</summary>
    private void OnFrame(RespValue frame)
    {
        if (frame.Type is not (RespType.Array or RespType.Push) || frame.Items.Length < 3)
        {
            return;
        }
        var items = frame.Items;
        switch (items[0].AsString())
        {
            case "message" when _subscriptions.TryGetValue((false, items[1].AsString()!), out var subscription):
                subscription.Enqueue(new RedisMessage(items[1].AsString()!, items[2].AsBytes() ?? []));
                break;
            case "pmessage" when items.Length >= 4 && _subscriptions.TryGetValue((true, items[1].AsString()!), out var patterned):
                patterned.Enqueue(new RedisMessage(items[2].AsString()!, items[3].AsBytes() ?? [], items[1].AsString()));
                break;
            case "subscribe" or "psubscribe" or "unsubscribe" or "punsubscribe" when items[1].AsString() is { } name:
                var isPattern = items[0].AsString()!.StartsWith('p');
                if (_confirmations.TryRemove((isPattern, name), out var confirmation))
                {
                    confirmation.TrySetResult();
                }
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var subscription in _subscriptions.Values)
        {
            subscription.Complete();
        }
        await _connection.DisposeAsync();
    }

    private sealed class Subscription : IAsyncDisposable
    {
        private readonly RedisSubscriber _owner;
        private readonly Channel<RedisMessage> _queue = Channel.CreateUnbounded<RedisMessage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

        public Subscription(RedisSubscriber owner, bool pattern, string name, Func<RedisMessage, Task> handler)
        {
            _owner = owner;
            IsPattern = pattern;
            Name = name;
            _ = Task.Run(async () =>
            {
                await foreach (var message in _queue.Reader.ReadAllAsync())
                {
                    try
                    {
                        await handler(message);
                    }
                    catch (Exception)
                    {
                        // A failing handler loses that message, not the subscription.
                    }
                }
            });
        }

        public bool IsPattern { get; }
        public string Name { get; }

        public void Enqueue(RedisMessage message) => _queue.Writer.TryWrite(message);

        public void Complete() => _queue.Writer.TryComplete();

        public async ValueTask DisposeAsync()
        {
            try
            {
                await _owner.RemoveAsync(this);
            }
            finally
            {
                Complete();
            }
        }
    }
}
