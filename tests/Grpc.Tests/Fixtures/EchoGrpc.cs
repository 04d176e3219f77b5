using AgentFleet.Grpc.Client;
using AgentFleet.Grpc.Server;

namespace AgentFleet.Grpc.Tests.Echo;

/// <summary>The Echo contract's methods, server base and client, written as for every contract.</summary>
public static class EchoGrpc
{
    public const string ServiceName = "fleet.test.v1.Echo";

    public static readonly Method<EchoRequest, EchoReply> Unary = new(MethodType.Unary, ServiceName, "Unary", EchoRequest.Parser, EchoReply.Parser);
    public static readonly Method<EchoRequest, EchoReply> ServerStream = new(MethodType.ServerStreaming, ServiceName, "ServerStream", EchoRequest.Parser, EchoReply.Parser);
    public static readonly Method<EchoRequest, EchoReply> ClientStream = new(MethodType.ClientStreaming, ServiceName, "ClientStream", EchoRequest.Parser, EchoReply.Parser);
    public static readonly Method<EchoRequest, EchoReply> Duplex = new(MethodType.DuplexStreaming, ServiceName, "Duplex", EchoRequest.Parser, EchoReply.Parser);

    public abstract class EchoBase : IGrpcService<EchoBase>
    {
        static string IGrpcService<EchoBase>.ServiceName => ServiceName;

        public static void Bind(ServiceBinder<EchoBase> binder)
        {
            binder.AddUnary(Unary, static (s, request, context) => s.UnaryAsync(request, context));
            binder.AddServerStreaming(ServerStream, static (s, request, responses, context) => s.ServerStreamAsync(request, responses, context));
            binder.AddClientStreaming(ClientStream, static (s, requests, context) => s.ClientStreamAsync(requests, context));
            binder.AddDuplexStreaming(Duplex, static (s, requests, responses, context) => s.DuplexAsync(requests, responses, context));
        }

        public virtual Task<EchoReply> UnaryAsync(EchoRequest request, ServerCallContext context) => throw Unimplemented();
        public virtual Task ServerStreamAsync(EchoRequest request, IAsyncStreamWriter<EchoReply> responses, ServerCallContext context) => throw Unimplemented();
        public virtual Task<EchoReply> ClientStreamAsync(IAsyncStreamReader<EchoRequest> requests, ServerCallContext context) => throw Unimplemented();
        public virtual Task DuplexAsync(IAsyncStreamReader<EchoRequest> requests, IAsyncStreamWriter<EchoReply> responses, ServerCallContext context) => throw Unimplemented();

        private static RpcException Unimplemented() => new(StatusCode.Unimplemented, "Not implemented.");
    }

    public sealed class EchoClient(CallInvoker invoker)
    {
        public Task<EchoReply> UnaryAsync(EchoRequest request, CallOptions options = default) => invoker.UnaryAsync(Unary, request, options);
        public ServerStreamingCall<EchoReply> ServerStreamCall(EchoRequest request, CallOptions options = default) => invoker.ServerStreaming(ServerStream, request, options);
        public ClientStreamingCall<EchoRequest, EchoReply> ClientStreamCall(CallOptions options = default) => invoker.ClientStreaming(ClientStream, options);
        public DuplexStreamingCall<EchoRequest, EchoReply> DuplexCall(CallOptions options = default) => invoker.DuplexStreaming(Duplex, options);
    }
}
