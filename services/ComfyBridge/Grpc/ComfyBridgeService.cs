using AgentFleet.ComfyBridge.Contracts;

namespace AgentFleet.ComfyBridge.Grpc;

/// <summary>Serves comfy_bridge.proto; methods a later issue fills in still answer UNIMPLEMENTED from the base.</summary>
internal sealed class ComfyBridgeService : ComfyBridgeGrpc.ComfyBridgeBase;
