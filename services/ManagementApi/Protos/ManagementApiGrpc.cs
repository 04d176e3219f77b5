using AgentFleet.Grpc;
using AgentFleet.Grpc.Client;
using AgentFleet.Grpc.Server;

namespace AgentFleet.ManagementApi.Contracts;

/// <summary>The management_api.proto service: method paths, the server base, and the client. Clients include this file by path.</summary>
public static class ManagementApiGrpc
{
    public const string ServiceName = "fleet.managementapi.v1.ManagementApi";

    public static readonly Method<VerifyKeyRequest, VerifyKeyReply> VerifyKey = new(MethodType.Unary, ServiceName, "VerifyKey", VerifyKeyRequest.Parser, VerifyKeyReply.Parser);

    public abstract class ManagementApiBase : IGrpcService<ManagementApiBase>
    {
        static string IGrpcService<ManagementApiBase>.ServiceName => ServiceName;

        public static void Bind(ServiceBinder<ManagementApiBase> binder) =>
            binder.AddUnary(VerifyKey, static (s, r, c) => s.VerifyKeyAsync(r, c));

        public virtual Task<VerifyKeyReply> VerifyKeyAsync(VerifyKeyRequest request, ServerCallContext context) =>
            throw new RpcException(StatusCode.Unimplemented, $"{VerifyKey.FullName} is not implemented yet.");
    }

    public sealed class ManagementApiClient(CallInvoker invoker)
    {
        public Task<VerifyKeyReply> VerifyKeyAsync(VerifyKeyRequest request, CallOptions options = default) => invoker.UnaryAsync(VerifyKey, request, options);
    }
}
