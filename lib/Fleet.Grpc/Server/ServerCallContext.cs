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
        RequestHeaders = Metadata.FromHeaders(httpContext.Request.Headers.Select(h => KeyValuePair.Create(h.Key, h.Value.Select(v => v ?? ""))));
    }

    public HttpContext HttpContext { get; }

    /// <summary><c>/package.Service/Method</c>.</summary>
    public string Method { get; }

    public string Peer => $"{HttpContext.Connection.RemoteIpAddress}:{HttpContext.Connection.RemotePort}";

    /// <summary>When the client stops waiting (UTC); <see cref="DateTime.MaxValue"/> without a deadline.</summary>
    public DateTime Deadline { get; }

    /// <summary>Cancelled when the client cancels, the connection drops, or the deadline passes.</summary>
    public CancellationToken CancellationToken { get; }

    public Metadata RequestHeaders { get; }

    /// <summary>Sent after the status, with the trailers.</summary>
    public Metadata ResponseTrailers { get; } = [];

    /// <summary>Sends response headers now; otherwise they go with the first message or the status.</summary>
    public Task WriteResponseHeadersAsync(Metadata headers) => _writeHeaders(headers);
}
