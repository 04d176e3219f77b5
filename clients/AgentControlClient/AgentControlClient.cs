using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace AgentFleet.AgentControl;

/// <summary>
/// A client of the fleet's agent-control port (JSON-RPC 2.0 over TCP, one message per line): it authenticates, then
/// speaks MCP through the official C# client. When the connection drops it reconnects with exponential backoff and
/// jitter, authenticates again, resubscribes, and resumes each subscription from the last sequence it delivered.
/// A call made while it is reconnecting waits for the connection; a call the drop cut short fails, and is not retried
/// (create_session is not idempotent).
/// </summary>
public sealed class AgentControlClient : IAsyncDisposable
{
    /// <summary>The MCP revision the client asks for: the latest with the initialize handshake and resources/subscribe.</summary>
    public const string ProtocolVersion = "2025-11-25";

    private readonly AgentControlOptions _options;
    private readonly ILoggerFactory? _loggers;
    private readonly ConcurrentDictionary<string, SessionSubscription> _subscriptions = new();
    private readonly CancellationTokenSource _disposed = new();
    private TaskCompletionSource<McpClient> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TcpClient? _socket;
    private int _reconnects;

    private AgentControlClient(AgentControlOptions options, ILoggerFactory? loggers)
    {
        _options = options;
        _loggers = loggers;
    }

    /// <summary>How many times the connection was made again after a drop.</summary>
    public int Reconnects => Volatile.Read(ref _reconnects);

    /// <summary>Connects and authenticates; a key the port refuses is an <see cref="AgentControlException"/>, not retried.</summary>
    public static async Task<AgentControlClient> ConnectAsync(AgentControlOptions options, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default)
    {
        var client = new AgentControlClient(options, loggers);
        var mcp = await client.OpenAsync(cancellationToken);
        client.Use(mcp);
        return client;
    }

    /// <summary>The connected MCP client (waiting while a reconnection is under way).</summary>
    public Task<McpClient> McpAsync(CancellationToken cancellationToken = default) => _connected.Task.WaitAsync(cancellationToken);

    public async Task<CallToolResult> CallToolAsync(string name, IReadOnlyDictionary<string, object?>? arguments = null,
        IProgress<ProgressNotificationValue>? progress = null, CancellationToken cancellationToken = default) =>
        await (await McpAsync(cancellationToken)).CallToolAsync(name, arguments, progress, cancellationToken: cancellationToken);

    /// <summary>
    /// Follows a session's transcript from after <paramref name="afterSequence"/>: <paramref name="onEvent"/> gets each
    /// event (as <c>GET /v1/sessions/{id}/messages</c> shows it) once, in order, across reconnections.
    /// </summary>
    public async Task<SessionSubscription> SubscribeToSessionAsync(Guid sessionId, long afterSequence, Func<JsonObject, ValueTask> onEvent,
        CancellationToken cancellationToken = default)
    {
        var subscription = new SessionSubscription(this, sessionId, afterSequence, onEvent);
        if (!_subscriptions.TryAdd(subscription.Uri, subscription))
        {
            throw new InvalidOperationException($"Session {sessionId} is already subscribed to.");
        }
        var mcp = await McpAsync(cancellationToken);
        await mcp.SubscribeToResourceAsync(subscription.Uri, cancellationToken: cancellationToken);
        // What happened before the subscription took hold.
        await subscription.CatchUpAsync(cancellationToken);
        return subscription;
    }

    internal async ValueTask UnsubscribeAsync(SessionSubscription subscription)
    {
        if (_subscriptions.TryRemove(subscription.Uri, out _) && _connected.Task.IsCompletedSuccessfully)
        {
            try
            {
                await _connected.Task.Result.UnsubscribeFromResourceAsync(subscription.Uri);
            }
            catch (Exception e) when (e is McpException or IOException or ObjectDisposedException)
            {
                // The connection is gone; so is the subscription.
            }
        }
    }

    internal async Task<JsonObject> ReadTranscriptAsync(string uri, CancellationToken cancellationToken)
    {
        var result = await (await McpAsync(cancellationToken)).ReadResourceAsync(uri, cancellationToken: cancellationToken);
        var text = result.Contents.OfType<TextResourceContents>().FirstOrDefault()?.Text ?? throw new InvalidDataException($"{uri} had no JSON content.");
        return JsonNode.Parse(text)!.AsObject();
    }

    private async Task<McpClient> OpenAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        var socket = new TcpClient { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_options.Host, _options.Port, timeout.Token);
            var stream = socket.GetStream();
            var authenticate = new JsonObject
            {
                ["jsonrpc"] = "2.0",
                ["id"] = "authenticate",
                ["method"] = "authenticate",
                ["params"] = new JsonObject { ["apiKey"] = _options.ApiKey },
            };
            await stream.WriteAsync(Encoding.UTF8.GetBytes(authenticate.ToJsonString() + "\n"), timeout.Token);
            var answer = JsonNode.Parse(await ReadLineAsync(stream, timeout.Token))!.AsObject();
            if (answer["error"] is JsonObject error)
            {
                throw new AgentControlException(error["code"]!.GetValue<int>(), error["message"]!.GetValue<string>());
            }
            // From here the port speaks MCP, one message per line, which the official client reads and writes: the
            // revision with the initialize handshake and resources/subscribe (the port's connection is the session).
            var mcp = await McpClient.CreateAsync(new StreamClientTransport(stream, stream, _loggers),
                new McpClientOptions { ClientInfo = new Implementation { Name = "agent-fleet-agent-control", Version = "1.0" }, ProtocolVersion = ProtocolVersion },
                _loggers, timeout.Token);
            mcp.RegisterNotificationHandler(NotificationMethods.ResourceUpdatedNotification, (notification, token) =>
            {
                var uri = notification.Params?["uri"]?.GetValue<string>();
                if (uri is not null && _subscriptions.TryGetValue(uri, out var subscription))
                {
                    _ = CatchUpQuietlyAsync(subscription);
                }
                return ValueTask.CompletedTask;
            });
            Interlocked.Exchange(ref _socket, socket)?.Dispose();
            return mcp;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Makes <paramref name="mcp"/> the connection, and starts over when it ends (unless this client is disposed).</summary>
    private void Use(McpClient mcp)
    {
        _connected.TrySetResult(mcp);
        _ = Task.Run(async () =>
        {
            await mcp.Completion;
            if (_disposed.IsCancellationRequested)
            {
                return;
            }
            _connected = new TaskCompletionSource<McpClient>(TaskCreationOptions.RunContinuationsAsynchronously);
            await mcp.DisposeAsync();
            await ReconnectAsync();
        });
    }

    private async Task ReconnectAsync()
    {
        for (var attempt = 0; !_disposed.IsCancellationRequested; attempt++)
        {
            var backoff = Math.Min(_options.MaxBackoff.TotalMilliseconds, _options.InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 20)));
            // Full jitter over the upper half: many clients dropped together do not come back together.
            var delay = TimeSpan.FromMilliseconds(backoff * (0.5 + Random.Shared.NextDouble() * 0.5));
            try
            {
                await Task.Delay(delay, _disposed.Token);
                var mcp = await OpenAsync(_disposed.Token);
                foreach (var subscription in _subscriptions.Values)
                {
                    await mcp.SubscribeToResourceAsync(subscription.Uri, cancellationToken: _disposed.Token);
                }
                Interlocked.Increment(ref _reconnects);
                Use(mcp);
                foreach (var subscription in _subscriptions.Values)
                {
                    _ = CatchUpQuietlyAsync(subscription);
                }
                return;
            }
            catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is SocketException or IOException or McpException or OperationCanceledException or JsonException or AgentControlException)
            {
                // Not there yet (or not answering): wait longer and try again.
            }
        }
    }

    private async Task CatchUpQuietlyAsync(SessionSubscription subscription)
    {
        try
        {
            await subscription.CatchUpAsync(_disposed.Token);
        }
        catch (Exception e) when (e is McpException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection dropped mid-read: the reconnection reads on from the same sequence.
        }
    }

    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        // Byte by byte, so nothing past the line is taken from the stream the MCP client reads next.
        var line = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new IOException("The agent-control port closed the connection before answering.");
            }
            if (one[0] == (byte)'\n')
            {
                return Encoding.UTF8.GetString([.. line]);
            }
            line.Add(one[0]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed.Cancel();
        if (_connected.Task.IsCompletedSuccessfully)
        {
            await _connected.Task.Result.DisposeAsync();
        }
        _socket?.Dispose();
        _disposed.Dispose();
    }
}
