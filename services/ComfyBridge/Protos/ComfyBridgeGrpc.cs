using AgentFleet.Grpc;
using AgentFleet.Grpc.Client;
using AgentFleet.Grpc.Server;

namespace AgentFleet.ComfyBridge.Contracts;

/// <summary>The comfy_bridge.proto service: method paths, the server base, and the client. Clients include this file by path.</summary>
public static class ComfyBridgeGrpc
{
    public const string ServiceName = "fleet.comfybridge.v1.ComfyBridge";

    public static readonly Method<BridgeStatusRequest, BridgeStatus> GetBridgeStatus = new(MethodType.Unary, ServiceName, "GetBridgeStatus", BridgeStatusRequest.Parser, BridgeStatus.Parser);

    /// <summary>Every method answers UNIMPLEMENTED until the implementation overrides it.</summary>
    public abstract class ComfyBridgeBase : IGrpcService<ComfyBridgeBase>
    {
        static string IGrpcService<ComfyBridgeBase>.ServiceName => ServiceName;

        public static void Bind(ServiceBinder<ComfyBridgeBase> binder) =>
            binder.AddUnary(GetBridgeStatus, static (s, r, c) => s.GetBridgeStatusAsync(r, c));

        public virtual Task<BridgeStatus> GetBridgeStatusAsync(BridgeStatusRequest request, ServerCallContext context) =>
            throw new RpcException(StatusCode.Unimplemented, $"{GetBridgeStatus.FullName} is not implemented yet.");
    }

    public sealed class ComfyBridgeClient(CallInvoker invoker)
    {
        public Task<BridgeStatus> GetBridgeStatusAsync(BridgeStatusRequest request, CallOptions options = default) => invoker.UnaryAsync(GetBridgeStatus, request, options);
    }
}
