using Google.Protobuf;

namespace AgentFleet.Grpc.Server;

/// <summary>A service contract's server side: its base class binds each method to the handler that serves it.</summary>
public interface IGrpcService<TSelf> where TSelf : class, IGrpcService<TSelf>
{
    /// <summary>The contract's full service name, <c>package.Service</c>, as the health service reports it.</summary>
    static abstract string ServiceName { get; }

    static abstract void Bind(ServiceBinder<TSelf> binder);
}

public delegate Task<TResponse> UnaryHandler<in TService, in TRequest, TResponse>(TService service, TRequest request, ServerCallContext context);
public delegate Task ServerStreamingHandler<in TService, in TRequest, out TResponse>(TService service, TRequest request, IAsyncStreamWriter<TResponse> responses, ServerCallContext context);
public delegate Task<TResponse> ClientStreamingHandler<in TService, TRequest, TResponse>(TService service, IAsyncStreamReader<TRequest> requests, ServerCallContext context);
public delegate Task DuplexStreamingHandler<in TService, TRequest, out TResponse>(TService service, IAsyncStreamReader<TRequest> requests, IAsyncStreamWriter<TResponse> responses, ServerCallContext context);

/// <summary>Collects a service's methods with their handlers; the endpoint mapping turns each into a route.</summary>
public sealed class ServiceBinder<TService> where TService : class
{
    internal List<ServerMethod> Methods { get; } = [];

    public void AddUnary<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryHandler<TService, TRequest, TResponse> handler)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse> =>
        Methods.Add(new ServerMethod(method, (call, service) => call.UnaryAsync(method, (TService)service, handler)));

    public void AddServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingHandler<TService, TRequest, TResponse> handler)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse> =>
        Methods.Add(new ServerMethod(method, (call, service) => call.ServerStreamingAsync(method, (TService)service, handler)));

    public void AddClientStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingHandler<TService, TRequest, TResponse> handler)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse> =>
        Methods.Add(new ServerMethod(method, (call, service) => call.ClientStreamingAsync(method, (TService)service, handler)));

    public void AddDuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingHandler<TService, TRequest, TResponse> handler)
        where TRequest : IMessage<TRequest> where TResponse : IMessage<TResponse> =>
        Methods.Add(new ServerMethod(method, (call, service) => call.DuplexStreamingAsync(method, (TService)service, handler)));
}

internal sealed record ServerMethod(IMethod Method, Func<ServerCall, object, Task> Invoke);
