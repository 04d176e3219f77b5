using Google.Protobuf;

namespace AgentFleet.Grpc.Client;

/// <summary>Makes calls; the contract clients are thin wrappers over it.</summary>
public abstract class CallInvoker
{
    public abstract Task<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse>;

    public abstract ServerStreamingCall<TResponse> ServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse>;

    public abstract ClientStreamingCall<TRequest, TResponse> ClientStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse>;

    public abstract DuplexStreamingCall<TRequest, TResponse> DuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse>;
}

/// <summary>A call whose responses arrive as a stream. Dispose it to cancel the call.</summary>
public sealed class ServerStreamingCall<TResponse>(IAsyncStreamReader<TResponse> responseStream, ICallState state) : IDisposable
{
    public IAsyncStreamReader<TResponse> ResponseStream { get; } = responseStream;
    public Task<Metadata> ResponseHeadersAsync => state.ResponseHeadersAsync;
    public Status GetStatus() => state.GetStatus();
    public Metadata GetTrailers() => state.GetTrailers();
    public void Dispose() => state.Dispose();
}

/// <summary>A call that sends a stream and receives one response.</summary>
public sealed class ClientStreamingCall<TRequest, TResponse>(IClientStreamWriter<TRequest> requestStream, Task<TResponse> responseAsync, ICallState state) : IDisposable
{
    public IClientStreamWriter<TRequest> RequestStream { get; } = requestStream;
    public Task<TResponse> ResponseAsync { get; } = responseAsync;
    public Task<Metadata> ResponseHeadersAsync => state.ResponseHeadersAsync;
    public Status GetStatus() => state.GetStatus();
    public Metadata GetTrailers() => state.GetTrailers();
    public void Dispose() => state.Dispose();
}

/// <summary>A call with streams both ways.</summary>
public sealed class DuplexStreamingCall<TRequest, TResponse>(IClientStreamWriter<TRequest> requestStream, IAsyncStreamReader<TResponse> responseStream, ICallState state) : IDisposable
{
    public IClientStreamWriter<TRequest> RequestStream { get; } = requestStream;
    public IAsyncStreamReader<TResponse> ResponseStream { get; } = responseStream;
    public Task<Metadata> ResponseHeadersAsync => state.ResponseHeadersAsync;
    public Status GetStatus() => state.GetStatus();
    public Metadata GetTrailers() => state.GetTrailers();
    public void Dispose() => state.Dispose();
}

public interface ICallState : IDisposable
{
    Task<Metadata> ResponseHeadersAsync { get; }

    Status GetStatus();

    Metadata GetTrailers();
}
