using ModelContextProtocol.Protocol;

namespace AgentFleet.ManagementApi.Mcp.AgentControl;

/// <summary>
/// The MCP SDK's side of one agent-control connection: messages the connection has read, checked and authenticated go
/// in through <see cref="DeliverAsync"/>; what the server sends goes out through the connection's bounded queue.
/// </summary>
public sealed class AgentControlTransport : TransportBase
{
    private readonly Func<JsonRpcMessage, CancellationToken, Task> _send;

    public AgentControlTransport(string name, Func<JsonRpcMessage, CancellationToken, Task> send, ILoggerFactory loggerFactory) : base(name, loggerFactory)
    {
        _send = send;
        SetConnected();
    }

    public Task DeliverAsync(JsonRpcMessage message, CancellationToken cancellationToken) => WriteMessageAsync(message, cancellationToken);

    public override Task SendMessageAsync(JsonRpcMessage message, CancellationToken cancellationToken = default) => _send(message, cancellationToken);

    public override ValueTask DisposeAsync()
    {
        SetDisconnected();
        return ValueTask.CompletedTask;
    }
}
