using System.Globalization;
using System.Text;

namespace AgentFleet.Grpc;

/// <summary>Facts of the gRPC-over-HTTP/2 protocol (grpc/grpc doc/PROTOCOL-HTTP2.md).</summary>
public static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string StatusTrailer = "grpc-status";
    public const string MessageTrailer = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string SupportedEncodings = "identity,gzip";
    public const int DefaultMaxMessageSize = 4 * 1024 * 1024;
    public const int FrameHeaderSize = 5;

    /// <summary>Headers that belong to the protocol or to HTTP, never to a call's metadata.</summary>
    public static bool IsReservedHeader(string name) =>
        name.StartsWith(':') || name.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase)
        || name is "content-type" or "te" or "host" or "user-agent" or "content-length" or "accept-encoding"
            or "traceparent" or "tracestate" or "connection" or "transfer-encoding";

    /// <summary>Parses <c>grpc-timeout</c>: at most 8 digits and a unit (H, M, S, m, u, n).</summary>
    public static TimeSpan? ParseTimeout(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length < 2 || value.Length > 9
            || !long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            return null;
        }
        return value[^1] switch
        {
            'H' => TimeSpan.FromHours(amount),
            'M' => TimeSpan.FromMinutes(amount),
            'S' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMilliseconds(amount),
            'u' => TimeSpan.FromMicroseconds(amount),
            'n' => TimeSpan.FromTicks(amount / 100),
            _ => null,
        };
    }

    /// <summary>Formats a timeout in the coarsest unit that keeps it within 8 digits.</summary>
    public static string FormatTimeout(TimeSpan timeout)
    {
        var ticks = Math.Max(0, timeout.Ticks);
        var microseconds = ticks / 10;
        if (microseconds < 100_000_000)
        {
            return $"{Math.Max(1, microseconds)}u";
        }
        var milliseconds = ticks / TimeSpan.TicksPerMillisecond;
        if (milliseconds < 100_000_000)
        {
            return $"{milliseconds}m";
        }
        var seconds = ticks / TimeSpan.TicksPerSecond;
        return seconds < 100_000_000 ? $"{seconds}S" : $"{Math.Min(99_999_999, seconds / 3600)}H";
    }

    /// <summary>The longest <c>grpc-message</c> sent: a status detail that quotes a huge input must not make a header
    /// block the peer refuses, which would take down the connection every other call shares.</summary>
    public const int MaxMessageLength = 4096;

    /// <summary><c>grpc-message</c> is percent-encoded UTF-8: printable ASCII other than '%' passes as is. Cut at <see cref="MaxMessageLength"/>.</summary>
    public static string EncodeMessage(string message)
    {
        var text = new StringBuilder(Math.Min(message.Length, MaxMessageLength));
        foreach (var b in Encoding.UTF8.GetBytes(message))
        {
            if (text.Length >= MaxMessageLength - 3)
            {
                text.Append("...");
                break;
            }
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return text.ToString();
    }

    public static string DecodeMessage(string? encoded)
    {
        if (string.IsNullOrEmpty(encoded) || !encoded.Contains('%'))
        {
            return encoded ?? "";
        }
        var bytes = new List<byte>(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            if (encoded[i] == '%' && i + 2 < encoded.Length
                && byte.TryParse(encoded.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                bytes.Add((byte)encoded[i]);
            }
        }
        return Encoding.UTF8.GetString([.. bytes]);
    }

    /// <summary>The status a client infers from an HTTP response that is not gRPC (the protocol's mapping).</summary>
    public static StatusCode StatusFromHttp(int httpStatus) => httpStatus switch
    {
        400 => StatusCode.Internal,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.Unimplemented,
        429 or 502 or 503 or 504 => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };
}
