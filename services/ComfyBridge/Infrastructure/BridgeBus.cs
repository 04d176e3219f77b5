using System.Threading.Channels;
using AgentFleet.ComfyBridge.ComfyUi;
using AgentFleet.ComfyBridge.Jobs;
using AgentFleet.ComfyBridge.Model;
using AgentFleet.ComfyBridge.Options;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentFleet.ComfyBridge.Infrastructure;

/// <summary>
/// What the bridges sharing a database tell each other through Redis (<c>ConnectionStrings:redis</c>): each persisted job
/// event and preview frame, so a client streaming a job on any replica sees it live, and cancel requests for the bridge
/// that follows a job. Redis is only the fast path: streams read what they missed from PostgreSQL, and a cancel nobody
/// hears is carried out on ComfyUI directly. Without Redis (one replica) every call here does nothing.
/// </summary>
public sealed partial class BridgeBus(JobEventHub hub, IOptions<ComfyOptions> options, ILogger<BridgeBus> logger, IConnectionMultiplexer? redis = null)
    : IHostedService
{
    public static readonly RedisChannel EventsChannel = RedisChannel.Literal("comfy-bridge:events");

    private readonly Channel<Guid> _cancels = Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = true });
    private readonly string _me = options.Value.BridgeId;
    private ChannelMessageQueue? _events;
    private ChannelMessageQueue? _cancelRequests;
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Jobs other bridges asked this one to cancel.</summary>
    public ChannelReader<Guid> CancelRequests => _cancels.Reader;

    public static RedisChannel CancelChannel(string bridgeId) => RedisChannel.Literal($"comfy-bridge:{bridgeId}:cancel");

    /// <summary>Announces a persisted event to the other replicas. Never waits: an event lost here is read from PostgreSQL.</summary>
    public void Publish(JobEvent jobEvent, string? owner) => Send(() => BridgeMessage.ForEvent(_me, jobEvent, owner));

    public void PublishPreview(Guid jobId, PreviewImage preview) => Send(() => BridgeMessage.ForPreview(_me, jobId, preview));

    /// <summary>Asks <paramref name="bridgeId"/> to cancel the job; true when it is listening (it then carries out the cancel).</summary>
    public async Task<bool> RequestCancelAsync(string bridgeId, Guid jobId, CancellationToken cancellationToken)
    {
        if (redis is not { IsConnected: true })
        {
            return false;
        }
        try
        {
            return await redis.GetSubscriber().PublishAsync(CancelChannel(bridgeId), jobId.ToString()).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken) > 0;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogUnavailable(logger, e.Message);
            return false;
        }
    }

    /// <summary>
    /// Subscribes before the bridge serves requests. Redis being down delays the start by one try at most: the
    /// subscription is tried again in the background, and once made the multiplexer renews it after each reconnect.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (redis is not null && !await TrySubscribeAsync(redis))
        {
            _ = Task.Run(() => SubscribeEventuallyAsync(redis), CancellationToken.None);
        }
    }

    private async Task SubscribeEventuallyAsync(IConnectionMultiplexer connection)
    {
        while (!_stopping.IsCancellationRequested && !await TrySubscribeAsync(connection))
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(2), _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<bool> TrySubscribeAsync(IConnectionMultiplexer connection)
    {
        try
        {
            var subscriber = connection.GetSubscriber();
            _events ??= await SubscribeAsync(subscriber, EventsChannel, message => Receive(message.Message));
            _cancelRequests ??= await SubscribeAsync(subscriber, CancelChannel(_me), message =>
            {
                if (Guid.TryParse(message.Message.ToString(), out var id))
                {
                    _cancels.Writer.TryWrite(id);
                }
            });
            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or OperationCanceledException)
        {
            LogUnavailable(logger, e.Message);
            return false;
        }
    }

    private async Task<ChannelMessageQueue> SubscribeAsync(ISubscriber subscriber, RedisChannel channel, Action<ChannelMessage> handler)
    {
        var subscribing = subscriber.SubscribeAsync(channel);
        ChannelMessageQueue queue;
        try
        {
            queue = await subscribing.WaitAsync(TimeSpan.FromSeconds(5), _stopping.Token);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // Given up on here, but it may yet succeed: then it is undone, so no unread queue piles up messages.
            _ = subscribing.ContinueWith(t => t.Result.UnsubscribeAsync(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }
        // One message at a time, in Redis's order: a job's events arrive as its bridge published them.
        queue.OnMessage(handler);
        return queue;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        _cancels.Writer.TryComplete();
        foreach (var queue in (ChannelMessageQueue?[])[_events, _cancelRequests])
        {
            try
            {
                await (queue?.UnsubscribeAsync() ?? Task.CompletedTask);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
            }
        }
    }

    private void Send(Func<string> message)
    {
        if (redis is not { IsConnected: true })
        {
            return;
        }
        try
        {
            // Fire and forget keeps the order of one connection's publishes, and never holds up the job that emitted the event.
            redis.GetSubscriber().Publish(EventsChannel, message(), CommandFlags.FireAndForget);
        }
        catch (RedisException)
        {
        }
    }

    private void Receive(RedisValue value)
    {
        switch (BridgeMessage.Parse(value.ToString()))
        {
            case null:
                LogMalformed(logger);
                break;
            case { From: var from } when from == _me:
                // Its own events went to the local hub when they were persisted.
                break;
            case { Preview: { } preview } message:
                hub.PublishPreview(message.JobId, preview);
                break;
            case { Event: { } jobEvent } message:
                hub.Publish(jobEvent, message.Owner);
                break;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Redis is unavailable to the bridge ({Reason}); live events of other replicas' jobs come from PostgreSQL meanwhile")]
    private static partial void LogUnavailable(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Warning, "A message from another bridge could not be read")]
    private static partial void LogMalformed(ILogger logger);
}
