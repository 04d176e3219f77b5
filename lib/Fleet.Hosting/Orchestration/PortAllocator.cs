using System.Net;
using System.Net.Sockets;

namespace AgentFleet.Hosting.Orchestration;

public static class PortAllocator
{
    /// <summary>A port free on 127.0.0.1 right now (the kernel's pick).</summary>
    public static int GetFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Fails with a clear message when a fixed port is taken, before anything starts.</summary>
    public static void EnsureFree(int port, string what)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
        }
        catch (SocketException)
        {
            throw new InvalidOperationException($"Port {port} for {what} is in use. Stop what holds it, or choose another port (GATEWAY_PORT=0 picks a free one).");
        }
    }
}
