using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;

namespace AgentFleet.Grpc.Client;

public sealed class GrpcChannelOptions
{
    public int MaxReceiveMessageSize { get; init; } = GrpcProtocol.DefaultMaxMessageSize;
    public int MaxSendMessageSize { get; init; } = GrpcProtocol.DefaultMaxMessageSize;
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Wraps the channel's HTTP/2 handler, for what every call should carry (a signed identity, say).</summary>
    public Func<HttpMessageHandler, HttpMessageHandler>? WrapHandler { get; init; }
}

/// <summary>
/// The calls to one target, over one pooled HTTP/2 handler: cleartext with prior knowledge for http://,
/// TLS with ALPN for https://, more connections opened when one runs out of concurrent streams.
/// </summary>
public sealed class GrpcChannel : CallInvoker, IDisposable
{
    private static readonly ConcurrentDictionary<Uri, Lazy<GrpcChannel>> Shared = new();

    private GrpcChannel(Uri address, GrpcChannelOptions options)
    {
        Address = address;
        Options = options;
        var transport = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = options.ConnectTimeout,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseProxy = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        Invoker = new HttpMessageInvoker(options.WrapHandler?.Invoke(transport) ?? transport, disposeHandler: true);
    }

    public Uri Address { get; }

    internal GrpcChannelOptions Options { get; }

    internal HttpMessageInvoker Invoker { get; }

    /// <summary>A channel of its own (dispose it when done).</summary>
    public static GrpcChannel Create(Uri address, GrpcChannelOptions? options = null) => new(address, options ?? new GrpcChannelOptions());

    /// <summary>The process-wide channel for <paramref name="address"/>: one pooled handler per target.</summary>
    public static GrpcChannel ForAddress(Uri address) =>
        Shared.GetOrAdd(address, a => new Lazy<GrpcChannel>(() => Create(a))).Value;

    /// <summary>
    /// The channel for <c>services__{service}__grpc__0</c>, the address an Aspire AppHost injects: the process-wide one,
    /// or, with <paramref name="options"/>, one of its own.
    /// </summary>
    public static GrpcChannel ForService(IConfiguration configuration, string service, GrpcChannelOptions? options = null)
    {
        var value = configuration[$"services:{service}:grpc:0"];
        if (!Uri.TryCreate(value, UriKind.Absolute, out var address))
        {
            throw new InvalidOperationException($"services__{service}__grpc__0 is not set to an address (run through the AppHost, or set it).");
        }
        return options is null ? ForAddress(address) : Create(address, options);
    }

    public override Task<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default) =>
        ClientCall<TRequest, TResponse>.UnaryAsync(this, method, request, options);

    public override ServerStreamingCall<TResponse> ServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default) =>
        ClientCall<TRequest, TResponse>.ServerStreaming(this, method, request, options);

    public override ClientStreamingCall<TRequest, TResponse> ClientStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default) =>
        ClientCall<TRequest, TResponse>.ClientStreaming(this, method, options);

    public override DuplexStreamingCall<TRequest, TResponse> DuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default) =>
        ClientCall<TRequest, TResponse>.DuplexStreaming(this, method, options);

    public void Dispose() => Invoker.Dispose();
}
