using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace AgentFleet.AppHost.Configuration;

/// <summary>The gateway's public ports, from <c>GATEWAY_PORT</c> (9090) and <c>GATEWAY_GRPC_PORT</c> (9091); 0 picks a free one.</summary>
public static class Ports
{
    /// <summary>The gateway's HTTP and gRPC ports (null: any free one); when run, a fixed port must be free.</summary>
    public static (int? Http, int? Grpc) ForGateway(IDistributedApplicationBuilder builder)
    {
        var http = FromConfiguration(builder.Configuration, "GATEWAY_PORT", 9090);
        var grpc = FromConfiguration(builder.Configuration, "GATEWAY_GRPC_PORT", 9091);
        if (builder.ExecutionContext.IsRunMode)
        {
            EnsureFree(http, "gateway/http");
            EnsureFree(grpc, "gateway/grpc");
        }
        return (http, grpc);
    }

    /// <summary>The gateway's agent-control port (JSON-RPC over TCP), from <c>AGENT_CONTROL_PORT</c> (9500); 0 picks a free one.</summary>
    public static int? ForAgentControl(IDistributedApplicationBuilder builder)
    {
        var port = FromConfiguration(builder.Configuration, "AGENT_CONTROL_PORT", 9500);
        if (builder.ExecutionContext.IsRunMode)
        {
            EnsureFree(port, "agent control");
        }
        return port;
    }

    /// <summary>
    /// A fixed port someone else holds would only surface later as a resource that never starts: say so now,
    /// plainly, before anything runs.
    /// </summary>
    private static void EnsureFree(int? port, string what)
    {
        if (port is not int fixedPort)
        {
            return;
        }
        try
        {
            using var probe = new TcpListener(IPAddress.Loopback, fixedPort);
            probe.Start();
        }
        catch (SocketException)
        {
            throw new HostingConfigurationException($"Port {fixedPort} for {what} is in use. Stop what holds it, or choose another port with {VariableFor(what)}.");
        }
    }

    private static string VariableFor(string what) => what switch
    {
        "gateway/grpc" => "GATEWAY_GRPC_PORT",
        "agent control" => "AGENT_CONTROL_PORT",
        _ => "GATEWAY_PORT",
    };

    private static int? FromConfiguration(IConfiguration configuration, string variable, int standard)
    {
        var configured = configuration[variable];
        if (string.IsNullOrEmpty(configured))
        {
            return standard;
        }
        if (!int.TryParse(configured, out var port) || port is < 0 or > 65535)
        {
            throw new HostingConfigurationException($"{variable} must be a port number (0 for a free one), not '{configured}'.");
        }
        return port == 0 ? null : port;
    }
}
