using Microsoft.AspNetCore.Http;

namespace AgentFleet.Grpc.Server;

/// <summary>What a handler knows of its call: who, which method, its deadline, metadata both ways.</summary>
public sealed class ServerCallContext
{
    private readonly Func<Metadata, Task> _writeHeaders;

    internal ServerCallContext(HttpContext httpContext, IMethod method, DateTime deadline, CancellationToken cancellationToken, Func<Metadata, Task> writeHeaders)
    {
        HttpContext = httpContext;
        Method = method.FullName;
        Deadline = deadline;
        CancellationToken = cancellationToken;
        _writeHeaders = writeHeaders;
        foreach (var header in httpContext.Request.Headers)
        {
            if (GrpcProtocol.IsReservedHeader(header.Key))
            {
                continue;
            }
            foreach (var value in header.Value)
            {
                if (header.Key.EndsWith(Metadata.BinarySuffix, StringComparison.Ordinal))
                {
                    RequestHeaders.Add(header.Key, DecodeBinary(value ?? ""));
                }
                else
                {
                    RequestHeaders.Add(header.Key, value ?? "");
                }
            }
        }
    }

    public HttpContext HttpContext { get; }

    /// <summary><c>/package.Service/Method</c>.</summary>
    public string Method { get; }

    public string Peer => $"{HttpContext.Connection.RemoteIpAddress}:{HttpContext.Connection.RemotePort}";

    /// <summary>When the client stops waiting (UTC); <see cref="DateTime.MaxValue"/> without a deadline.</summary>
    public DateTime Deadline { get; }

    /// <summary>Cancelled when the client cancels, the connection drops, or the deadline passes.</summary>
    public CancellationToken CancellationToken { get; }

    public Metadata RequestHeaders { get; } = [];

    /// <summary>Sent after the status, with the trailers.</summary>
    public Metadata ResponseTrailers { get; } = [];

    /// <summary>Sends response headers now; otherwise they go with the first message or the status.</summary>
    public Task WriteResponseHeadersAsync(Metadata headers) => _writeHeaders(headers);

    internal static byte[] DecodeBinary(string value)
    {
        // Senders may omit base64 padding.
        var padded = value.Length % 4 == 0 ? value : value + new string('=', 4 - (value.Length % 4));
        return Convert.FromBase64String(padded);
    }
}
