using System.Net;
using System.Net.Sockets;

namespace AgentFleet.Testing;

public static class PortAllocator
{
    private const int LowestPort = 10_000;

    /// <summary>
    /// A port free on 127.0.0.1, chosen below the kernel's ephemeral range: a port handed out now and bound
    /// later (or again after a restart) must not be taken meanwhile by some process's outgoing connection,
    /// which the kernel only gives ports from that range.
    /// </summary>
    public static int GetFreePort()
    {
        var (ephemeralLow, _) = EphemeralRange();
        for (var attempt = 0; attempt < 200 && ephemeralLow > LowestPort; attempt++)
        {
            var port = Random.Shared.Next(LowestPort, ephemeralLow);
            if (IsFree(port))
            {
                return port;
            }
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>True when nothing listens on the port on 127.0.0.1.</summary>
    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static (int Low, int High) EphemeralRange()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return (int.Parse(parts[0]), int.Parse(parts[1]));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // Linux's default.
            return (32768, 60999);
        }
    }
}
