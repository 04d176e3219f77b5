using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using AgentFleet.ServiceDefaults.AgentControl;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ServiceDefaults.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace AgentFleet.ManagementApi.Mcp.AgentControl;

/// <summary>
/// One client of the agent-control port: JSON-RPC 2.0, one message per line, both ways. The first request must be
/// <c>authenticate</c> with an API key (anything else first: -32001); after it, the MCP server serves this connection
/// as that caller. Lines that are not JSON get -32700 and lines that are not JSON-RPC -32600, and the connection stays.
/// What the server sends waits in a bounded queue: a client that does not read is disconnected, with the reason as
/// its last line, and never holds up anyone else.
/// </summary>
public sealed partial class AgentControlConnection : IAsyncDisposable
{
    /// <summary>The key under which a message's context carries its connection (for subscriptions, which need one).</summary>
    public const string ItemKey = "fleet.agent-control";

    private const int MaxFailedAuthentications = 3;

    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(10);

    private readonly ConnectionContext _connection;
    private readonly McpCallers _callers;
    private readonly McpServerOptions _mcpOptions;
    private readonly FleetMcpOptions _options;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly Channel<byte[]> _outbound;
    private readonly CancellationTokenSource _closing = new();
    // Writing stops only when the client is gone or would not drain within the grace: what was queued is still delivered.
    private readonly CancellationTokenSource _writeAbort = new();
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _subscriptions = new();
    private string? _closeReason;
    private ClaimsPrincipal? _principal;
    private AgentControlTransport? _transport;
    private McpServer? _server;
    private Task? _serverRun;
    private int _failedAuthentications;

    public AgentControlConnection(ConnectionContext connection, McpCallers callers, McpServerOptions mcpOptions, FleetMcpOptions options,
        IServiceProvider services, ILoggerFactory loggers)
    {
        _connection = connection;
        _callers = callers;
        _mcpOptions = mcpOptions;
        _options = options;
        _services = services;
        _loggers = loggers;
        _logger = loggers.CreateLogger<AgentControlConnection>();
        _outbound = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(options.MaxQueuedMessages) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Ends when the client goes or the connection is closed; the connection's subscriptions end with it.</summary>
    public CancellationToken Closing => _closing.Token;

    public async Task RunAsync()
    {
        var writing = WriteLoopAsync();
        _ = CloseIfNotAuthenticatedAsync();
        try
        {
            await ReadLoopAsync();
        }
        catch (Exception e) when (e is OperationCanceledException or ConnectionResetException or IOException)
        {
            // The client left, or the connection was closed: nothing to answer.
        }
        _closing.Cancel();
        _outbound.Writer.TryComplete();
        _writeAbort.CancelAfter(DrainGrace);
        await writing;
    }

    /// <summary>Sends one line; a client that lets <see cref="FleetMcpOptions.MaxQueuedMessages"/> pile up unread is cut off.</summary>
    public void Enqueue(byte[] line)
    {
        if (!_outbound.Writer.TryWrite(line) && _closeReason is null && !_closing.IsCancellationRequested)
        {
            Close($"The client read too slowly: {_options.MaxQueuedMessages} messages waited unread.");
        }
    }

    /// <summary>Stops reading and serving; what is queued, then the reason, still go out if the client drains them in time.</summary>
    public void Close(string reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is null)
        {
            LogClosing(_logger, _connection.ConnectionId, reason);
        }
        _outbound.Writer.TryComplete();
        _closing.Cancel();
        _writeAbort.CancelAfter(DrainGrace);
    }

    /// <summary>Runs <paramref name="watch"/> for <paramref name="uri"/> until it ends, it is unsubscribed, or the connection closes.</summary>
    public void Subscribe(string uri, Func<CancellationToken, Task> watch)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        if (!_subscriptions.TryAdd(uri, stop))
        {
            stop.Dispose();
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                await watch(stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e)
            {
                LogSubscriptionFailed(_logger, e, uri);
            }
            finally
            {
                _subscriptions.TryRemove(new KeyValuePair<string, CancellationTokenSource>(uri, stop));
                stop.Dispose();
            }
        });
    }

    public void Unsubscribe(string uri)
    {
        if (_subscriptions.TryRemove(uri, out var stop))
        {
            stop.Cancel();
        }
    }

    private async Task ReadLoopAsync()
    {
        var input = _connection.Transport.Input;
        while (!_closing.IsCancellationRequested)
        {
            var result = await input.ReadAsync(_closing.Token);
            var buffer = result.Buffer;
            while (buffer.PositionOf((byte)'\n') is { } end)
            {
                var line = buffer.Slice(0, end);
                buffer = buffer.Slice(buffer.GetPosition(1, end));
                if (line.Length > _options.MaxMessageBytes)
                {
                    Enqueue(JsonRpcLines.Error(null, JsonRpcLines.InvalidRequest, $"A message is longer than {_options.MaxMessageBytes} bytes."));
                    continue;
                }
                await HandleLineAsync(line);
            }
            if (buffer.Length > _options.MaxMessageBytes)
            {
                Close($"A message grew past {_options.MaxMessageBytes} bytes without ending (messages end with a newline).");
                return;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private async Task HandleLineAsync(ReadOnlySequence<byte> line)
    {
        var bytes = line.ToArray();
        if (bytes.AsSpan().Trim(" \t\r"u8).IsEmpty)
        {
            return;
        }
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(bytes);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            Enqueue(JsonRpcLines.Error(null, JsonRpcLines.ParseError, "Parse error: the line is not JSON."));
            return;
        }
        if (node is not JsonObject message || message["jsonrpc"] is not JsonValue version || version.GetValueKind() != JsonValueKind.String || version.GetValue<string>() != "2.0")
        {
            Enqueue(JsonRpcLines.Error((node as JsonObject)?["id"], JsonRpcLines.InvalidRequest, "Invalid request: a JSON-RPC 2.0 object (\"jsonrpc\": \"2.0\") is expected."));
            return;
        }
        var id = message["id"];
        var method = message["method"] is JsonValue m && m.GetValueKind() == JsonValueKind.String ? m.GetValue<string>() : null;
        if (_transport is null)
        {
            if (method == "authenticate" && id is not null)
            {
                await AuthenticateAsync(id, message["params"]);
            }
            else if (id is not null)
            {
                Enqueue(JsonRpcLines.Error(id, JsonRpcLines.Unauthenticated,
                    "Not authenticated: send {\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"authenticate\",\"params\":{\"apiKey\":\"...\"}} first."));
            }
            return;
        }
        if (method == "authenticate")
        {
            Enqueue(JsonRpcLines.Error(id, JsonRpcLines.InvalidRequest, "Already authenticated; open another connection for another key."));
            return;
        }
        JsonRpcMessage? rpc;
        try
        {
            rpc = message.Deserialize(McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage))) as JsonRpcMessage;
        }
        catch (JsonException e)
        {
            Enqueue(JsonRpcLines.Error(id, JsonRpcLines.InvalidRequest, $"Invalid request: {e.Message}"));
            return;
        }
        if (rpc is null)
        {
            Enqueue(JsonRpcLines.Error(id, JsonRpcLines.InvalidRequest, "Invalid request."));
            return;
        }
        rpc.Context = new JsonRpcMessageContext { User = _principal, Items = new Dictionary<string, object?> { [ItemKey] = this } };
        await _transport.DeliverAsync(rpc, _closing.Token);
    }

    private async Task AuthenticateAsync(JsonNode id, JsonNode? parameters)
    {
        if (parameters?["apiKey"] is not JsonValue value || value.GetValueKind() != JsonValueKind.String || value.GetValue<string>() is not { Length: > 0 } key)
        {
            Enqueue(JsonRpcLines.Error(id, JsonRpcLines.InvalidParams, "authenticate needs params.apiKey: a fleet API key, or an agent's session key."));
            return;
        }
        CallerIdentity? caller;
        try
        {
            caller = await _callers.ResolveAsync(key, _closing.Token);
        }
        catch (ProblemException e)
        {
            Enqueue(JsonRpcLines.Error(id, -32603, $"The key cannot be checked now: {e.Detail ?? e.Title} Retry shortly."));
            return;
        }
        if (caller is null)
        {
            Enqueue(JsonRpcLines.Error(id, JsonRpcLines.Unauthenticated, "The key is unknown or revoked (or its session has ended)."));
            if (++_failedAuthentications >= MaxFailedAuthentications)
            {
                Close($"{MaxFailedAuthentications} failed authentications.");
            }
            return;
        }
        _principal = McpCaller.ToPrincipal(caller);
        _transport = new AgentControlTransport($"agent-control {_connection.ConnectionId}", SendAsync, _loggers);
        _server = McpServer.Create(_transport, _mcpOptions, _loggers, _services);
        _serverRun = _server.RunAsync(_closing.Token);
        var result = new JsonObject
        {
            ["authenticated"] = true,
            ["keyId"] = caller.KeyId,
            ["owner"] = caller.Owner,
            ["role"] = CallerIdentity.RoleName(caller.Role),
        };
        if (caller.Agent is { } agent)
        {
            result["agentSessionId"] = agent.SessionId.ToString();
        }
        Enqueue(JsonRpcLines.Result(id, result));
    }

    private Task SendAsync(JsonRpcMessage message, CancellationToken cancellationToken)
    {
        Enqueue(JsonSerializer.SerializeToUtf8Bytes(message, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage))));
        return Task.CompletedTask;
    }

    private async Task WriteLoopAsync()
    {
        var output = _connection.Transport.Output;
        try
        {
            await foreach (var line in _outbound.Reader.ReadAllAsync(_writeAbort.Token))
            {
                output.Write(line);
                output.Write("\n"u8);
                // One flush for each run of lines that were ready together.
                if (_outbound.Reader.Count == 0 && (await output.FlushAsync(_writeAbort.Token)).IsCompleted)
                {
                    return;
                }
            }
            if (_closeReason is { } reason)
            {
                output.Write(ClosingNotice.Line(reason));
                await output.FlushAsync(_writeAbort.Token);
            }
            await output.CompleteAsync();
        }
        catch (Exception e) when (e is OperationCanceledException or ConnectionResetException or IOException or InvalidOperationException)
        {
            // The client is gone, or did not drain in time: cut it off.
            _connection.Abort(new ConnectionAbortedException(_closeReason ?? "The client did not read what was sent."));
        }
    }

    private async Task CloseIfNotAuthenticatedAsync()
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(_options.AuthenticateTimeoutSeconds), _closing.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        if (_transport is null)
        {
            Close($"Not authenticated within {_options.AuthenticateTimeoutSeconds} s.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _closing.Cancel();
        if (_serverRun is not null)
        {
            try
            {
                await _serverRun;
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
            }
        }
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        if (_transport is not null)
        {
            await _transport.DisposeAsync();
        }
        _closing.Dispose();
        _writeAbort.Dispose();
    }

    [LoggerMessage(LogLevel.Warning, "Agent-control connection {ConnectionId} closed: {Reason}")]
    private static partial void LogClosing(ILogger logger, string connectionId, string reason);

    [LoggerMessage(LogLevel.Warning, "A subscription to {Uri} failed")]
    private static partial void LogSubscriptionFailed(ILogger logger, Exception exception, string uri);
}
