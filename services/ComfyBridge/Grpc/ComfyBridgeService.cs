using AgentFleet.ComfyBridge.Contracts;
using AgentFleet.ComfyBridge.Services;
using Grpc.Core;

namespace AgentFleet.ComfyBridge.Grpc;

/// <summary>Serves comfy_bridge.proto: the bridge's servers, their queues and GPU memory, for ManagementApi's <c>/v1/status</c>.</summary>
internal sealed class ComfyBridgeService(BridgeStatusReader status) : ComfyBridgeGrpc.ComfyBridgeBase
{
    public override Task<BridgeStatus> GetBridgeStatus(BridgeStatusRequest request, ServerCallContext context) =>
        status.ReadAsync(context.CancellationToken);
}
