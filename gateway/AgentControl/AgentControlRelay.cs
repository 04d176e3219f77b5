using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using AgentFleet.ServiceDefaults.AgentControl;
using Microsoft.AspNetCore.Connections;

namespace AgentFleet.Gateway.AgentControl;

/// <summary>
/// The agent-control port at the gateway: each TCP connection is relayed, byte for byte, to ManagementApi's
/// agent-control port (<c>services__management-api__agent-control__0</c>), which authenticates it and speaks
/// JSON-RPC. The gateway bounds how often one client may connect (<c>Gateway:AgentControl:ConnectionsPerMinute</c>,
/// 60), so the one public door covers this port too. A backend that cannot be reached gets the client a JSON-RPC
/// notice saying so, never a silent close.
/// </summary>
public sealed partial class AgentControlRelay : ConnectionHandler, IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly ILogger<AgentControlRelay> _logger;
    private readonly PartitionedRateLimiter<IPAddress> _connections;

    public AgentControlRelay(IConfiguration configuration, ILogger<AgentControlRelay> logger)
    {
        _configuration = configuration;
        _logger = logger;
        var perMinute = configuration.GetValue("Gateway:AgentControl:ConnectionsPerMinute", 60);
        _connections = PartitionedRateLimiter.Create<IPAddress, IPAddress>(client => RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = perMinute,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var client = (connection.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
        using var lease = _connections.AttemptAcquire(client);
        if (!lease.IsAcquired)
        {
            await RefuseAsync(connection, "Too many connections from this client; retry in a few seconds.");
            return;
        }
        if (!Uri.TryCreate(_configuration["services:management-api:agent-control:0"], UriKind.Absolute, out var backend))
        {
            await RefuseAsync(connection, "Agent control is not configured behind this gateway.");
            return;
        }
        using var upstream = new TcpClient { NoDelay = true };
        try
        {
            await upstream.ConnectAsync(backend.Host, backend.Port, connection.ConnectionClosed);
        }
        catch (SocketException e)
        {
            LogUnreachable(_logger, backend.ToString(), e.Message);
            await RefuseAsync(connection, "The fleet's agent control cannot be reached; retry shortly.");
            return;
        }
        var stream = upstream.GetStream();
        // Whichever side closes first closes the other.
        var toBackend = connection.Transport.Input.CopyToAsync(stream, connection.ConnectionClosed);
        var toClient = stream.CopyToAsync(connection.Transport.Output, connection.ConnectionClosed);
        try
        {
            await Task.WhenAny(toBackend, toClient);
        }
        finally
        {
            upstream.Close();
            await connection.Transport.Output.CompleteAsync();
            await Task.WhenAll(toBackend, toClient).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private static async Task RefuseAsync(ConnectionContext connection, string reason)
    {
        await connection.Transport.Output.WriteAsync(ClosingNotice.Line(reason));
        await connection.Transport.Output.CompleteAsync();
    }

    public void Dispose() => _connections.Dispose();

    [LoggerMessage(LogLevel.Warning, "Agent control: ManagementApi at {Backend} cannot be reached: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string backend, string reason);
}
