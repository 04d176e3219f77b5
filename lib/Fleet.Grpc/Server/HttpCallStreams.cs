using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace AgentFleet.Grpc.Server;

/// <summary>The request body as a stream of messages.</summary>
internal sealed class HttpRequestStreamReader<T>(HttpContext http, MessageParser<T> parser, int maxMessageSize, CancellationToken callToken) : IAsyncStreamReader<T>
    where T : IMessage<T>
{
    private readonly string? _encoding = http.Request.Headers[GrpcProtocol.EncodingHeader].FirstOrDefault();

    public T Current { get; private set; } = default!;

    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(callToken, cancellationToken) : null;
        var (read, message) = await MessageFraming.ReadAsync(http.Request.BodyReader, parser, maxMessageSize, _encoding, linked?.Token ?? callToken);
        if (read)
        {
            Current = message!;
        }
        return read;
    }
}

/// <summary>The response body as a stream of messages; one write at a time.</summary>
internal sealed class HttpResponseStreamWriter<T>(HttpContext http, ServerCall call, int maxMessageSize) : IAsyncStreamWriter<T>
    where T : IMessage<T>
{
    private int _writing;

    public async Task WriteAsync(T message, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _writing, 1) == 1)
        {
            throw new InvalidOperationException("A write is already in progress: wait for it before writing again.");
        }
        try
        {
            call.OnMessageWritten();
            MessageFraming.Write(http.Response.BodyWriter, message, maxMessageSize);
            await http.Response.BodyWriter.FlushAsync(cancellationToken.CanBeCanceled ? cancellationToken : call.CancellationToken);
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }
}
