using System.Net;

namespace AgentFleet.Grpc.Client;

/// <summary>A request body written message by message while the call runs, ended by <see cref="Complete"/>.</summary>
internal sealed class StreamingRequestContent : HttpContent
{
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _complete = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<Stream> StreamAsync => _stream.Task;

    public void Complete() => _complete.TrySetResult();

    /// <summary>The call failed before the body started: a writer waiting for the stream hears why.</summary>
    public void Abort(Exception error)
    {
        _stream.TrySetException(error);
        _complete.TrySetResult();
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        _stream.TrySetResult(stream);
        await _complete.Task.WaitAsync(cancellationToken);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}

/// <summary>What a request stream needs of its call.</summary>
internal interface IStreamingCall
{
    int MaxSendMessageSize { get; }

    CancellationToken CallToken { get; }

    /// <summary>Set once the call has ended; writing after that is pointless.</summary>
    Status? FinalStatus { get; }
}

/// <summary>The client's request stream: one write at a time, then CompleteAsync.</summary>
internal sealed class ClientStreamWriter<TRequest>(StreamingRequestContent content, IStreamingCall call) : IClientStreamWriter<TRequest>
    where TRequest : Google.Protobuf.IMessage<TRequest>
{
    private int _writing;
    private bool _completed;

    public async Task WriteAsync(TRequest message, CancellationToken cancellationToken = default)
    {
        if (_completed)
        {
            throw new InvalidOperationException("The request stream has been completed.");
        }
        if (call.FinalStatus is { } status)
        {
            throw new RpcException(status);
        }
        if (Interlocked.Exchange(ref _writing, 1) == 1)
        {
            throw new InvalidOperationException("A write is already in progress: wait for it before writing again.");
        }
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(call.CallToken, cancellationToken);
            var stream = await content.StreamAsync.WaitAsync(linked.Token);
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            MessageFraming.Write(buffer, message, call.MaxSendMessageSize);
            await stream.WriteAsync(buffer.WrittenMemory, linked.Token);
            await stream.FlushAsync(linked.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
        {
            throw new RpcException(call.FinalStatus ?? new Status(StatusCode.Unavailable, $"The call could not send: {ex.Message}"));
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }

    public Task CompleteAsync()
    {
        _completed = true;
        content.Complete();
        return Task.CompletedTask;
    }
}
