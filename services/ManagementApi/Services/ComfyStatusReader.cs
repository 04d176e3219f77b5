using AgentFleet.ComfyBridge.Contracts;
using Grpc.Core;

namespace AgentFleet.ManagementApi.Services;

public sealed record ComfyGpuInfo(string Name, string Type, long VramTotalBytes, long VramFreeBytes);

public sealed record ComfyServerInfo(string Url, bool Reachable, int QueueRunning, int QueuePending, IReadOnlyList<ComfyGpuInfo> Gpus, string? Error);

/// <summary>The ComfyUI part of <c>/v1/status</c>: <c>status</c> is <c>available</c>, <c>unreachable</c>, <c>not configured</c> or <c>unknown</c>.</summary>
public sealed record ComfyInfo(string Status, int ActiveJobs, IReadOnlyList<ComfyServerInfo> Servers, string? Error);

/// <summary>Asks ComfyBridge (<c>GetBridgeStatus</c>) for its servers, their queues and GPU memory.</summary>
public sealed class ComfyStatusReader(ComfyBridgeGrpc.ComfyBridgeClient? client)
{
    public async Task<ComfyInfo> ReadAsync(CancellationToken cancellationToken)
    {
        if (client is null)
        {
            return new ComfyInfo("unknown", 0, [], "services__comfy-bridge__grpc__0 is not set");
        }
        try
        {
            var status = await client.GetBridgeStatusAsync(new BridgeStatusRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken));
            var servers = status.Servers.Select(s => new ComfyServerInfo(s.Url, s.Reachable, s.QueueRunning, s.QueuePending,
                [.. s.Gpus.Select(g => new ComfyGpuInfo(g.Name, g.Type, g.VramTotalBytes, g.VramFreeBytes))], s.Error.Length > 0 ? s.Error : null)).ToList();
            return new ComfyInfo(status.Summary, status.ActiveJobs, servers, null);
        }
        catch (RpcException e)
        {
            return new ComfyInfo("unknown", 0, [], e.Status.Detail);
        }
    }
}
