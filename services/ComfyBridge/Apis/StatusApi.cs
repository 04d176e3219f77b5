using AgentFleet.ComfyBridge.Services;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentFleet.ComfyBridge.Apis;

public sealed record GpuView(string Name, string Type, long VramTotalBytes, long VramFreeBytes);

public sealed record ServerView(string Url, bool Reachable, bool Connected, int QueueRunning, int QueuePending, IReadOnlyList<GpuView> Gpus, string? Error);

public sealed record BridgeView(string Comfyui, int ActiveJobs, IReadOnlyList<ServerView> Servers);

public static class StatusApi
{
    public static IEndpointRouteBuilder MapBridgeStatusApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/comfyui/status", GetStatus).WithName("GetBridgeStatus").WithTags("ComfyUI workflows")
            .WithSummary("The ComfyUI servers: reachable, queues, GPU memory");
        return app;
    }

    public static async Task<Ok<BridgeView>> GetStatus(BridgeStatusReader reader, CancellationToken cancellationToken)
    {
        var status = await reader.ReadAsync(cancellationToken);
        return TypedResults.Ok(new BridgeView(
            status.Summary,
            status.ActiveJobs,
            [.. status.Servers.Select(s => new ServerView(s.Url, s.Reachable, s.Connected, s.QueueRunning, s.QueuePending,
                [.. s.Gpus.Select(g => new GpuView(g.Name, g.Type, g.VramTotalBytes, g.VramFreeBytes))], s.Error.Length > 0 ? s.Error : null))]));
    }
}
