using System.Net;
using System.Net.Sockets;

namespace AgentFleet.ComfyBridge.Webhooks;

/// <summary>
/// Where webhooks may go. A caller names the URL, so without a rule the bridge could be made to call what only it
/// can reach (loopback services, a cloud metadata address, the private network) and report whether it answered.
/// Unless <c>ComfyUI:AllowPrivateWebhooks</c> is set, only public addresses are dialled, checked when the
/// connection is made (after DNS), so a name that later resolves elsewhere gains nothing.
/// </summary>
public static class WebhookTargets
{
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // An IPv4 address carried inside an IPv6 one (NAT64, IPv4-compatible, 6to4) is judged as that IPv4 address.
            if (EmbeddedIPv4(address) is { } embedded)
            {
                return IsPublic(embedded);
            }
            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal || address.IsIPv6Teredo);
        }
        var b = address.GetAddressBytes();
        return !(b[0] == 10 || b[0] == 0 || b[0] >= 224                     // private, "this network", multicast and reserved
            || (b[0] == 172 && b[1] >= 16 && b[1] <= 31) || (b[0] == 192 && b[1] == 168)
            || (b[0] == 169 && b[1] == 254)                                  // link-local, where cloud metadata lives
            || (b[0] == 100 && b[1] >= 64 && b[1] <= 127));                   // carrier-grade NAT
    }

    /// <summary>A literal address or <c>localhost</c> in the URL itself, refused at submission for a clear answer.</summary>
    public static bool IsPrivateLiteral(Uri url)
    {
        // "localhost." is the same name as "localhost" (a fully qualified one), and so is anything under .localhost.
        var host = url.DnsSafeHost.TrimEnd('.');
        return url.IsLoopback || host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && !IsPublic(address));
    }

    private static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        var b = address.GetAddressBytes();
        var last = new IPAddress(b[12..16]);
        return true switch
        {
            // 64:ff9b::/96, the NAT64 well-known prefix, and 64:ff9b:1::/48, the local-use one.
            _ when b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && (b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0 || (b[4] == 0 && b[5] == 1)) => last,
            // ::a.b.c.d, the deprecated IPv4-compatible form (:: and ::1 themselves are handled as IPv6).
            _ when b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0 && (b[12] | b[13]) != 0 => last,
            // 2002:aabb:ccdd::/48, 6to4.
            _ when b[0] == 0x20 && b[1] == 0x02 => new IPAddress(b[2..6]),
            _ => null,
        };
    }

    /// <summary>The webhook client's handler: no redirects (a 3xx could point anywhere), and only allowed addresses dialled.</summary>
    public static SocketsHttpHandler Handler(bool allowPrivate) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
            var allowed = addresses.Where(a => allowPrivate || IsPublic(a)).ToArray();
            if (allowed.Length == 0)
            {
                throw new WebhookTargetRefusedException($"{context.DnsEndPoint.Host} resolves only to addresses webhooks may not reach (loopback, private, link-local).");
            }
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}

/// <summary>The webhook's host resolves only to addresses it may not reach: a refusal that retrying cannot change.</summary>
public sealed class WebhookTargetRefusedException(string message) : Exception(message);
