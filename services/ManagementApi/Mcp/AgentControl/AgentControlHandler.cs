using AgentFleet.ServiceDefaults.AgentControl;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Server;

namespace AgentFleet.ManagementApi.Mcp.AgentControl;

/// <summary>Kestrel's side of the agent-control port: each TCP connection becomes an <see cref="AgentControlConnection"/>, up to a limit.</summary>
public sealed class AgentControlHandler(McpCallers callers, IOptions<McpServerOptions> mcpOptions, IOptions<FleetMcpOptions> options,
    IServiceProvider services, ILoggerFactory loggers) : ConnectionHandler
{
    private int _open;

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        try
        {
            if (Interlocked.Increment(ref _open) > options.Value.MaxConnections)
            {
                await connection.Transport.Output.WriteAsync(ClosingNotice.Line(
                    $"The server has {options.Value.MaxConnections} connections open, its limit; retry later."));
                return;
            }
            await using var client = new AgentControlConnection(connection, callers, mcpOptions.Value, options.Value, services, loggers);
            await client.RunAsync();
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }
}
