using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace AgentFleet.Gateway.Tests.Fixtures;

/// <summary>
/// Calls to a service's gRPC method without its generated client: the request is an Empty (every field at its default),
/// and the answer reads as an Empty whose fields are unknown ones.
/// </summary>
public static class EmptyGrpc
{
    private static readonly Marshaller<Empty> Marshaller = Marshallers.Create(m => m.ToByteArray(), Empty.Parser.ParseFrom);

    public static Method<Empty, Empty> Unary(string service, string method) => new(MethodType.Unary, service, method, Marshaller, Marshaller);

    public static Task<Empty> CallAsync(GrpcChannel channel, Method<Empty, Empty> method, Metadata? headers, CancellationToken ct) =>
        channel.CreateCallInvoker().AsyncUnaryCall(method, null, new CallOptions(headers, cancellationToken: ct), new Empty()).ResponseAsync;
}
