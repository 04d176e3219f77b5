using System.Reflection;
using Grpc.Core;
using AgentFleet.ManagementApi.Services;
using AgentFleet.SessionRunner.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentFleet.ManagementApi.Apis;

public sealed record WorkersInfo(int Active, int Total, int Queued, string? RunnerId, string? Error);
/// <summary>How the runner confines agents: <c>bubblewrap</c>, <c>none</c>, or <c>unknown</c> while it cannot be asked.</summary>
public sealed record SandboxStatus(string Mode, bool Available, string Detail);
public sealed record ServiceHealth(string Name, string Status, double? LatencyMs, string? Error);
public sealed record SystemStatus(
    string Version, DateTimeOffset StartedAt, double UptimeSeconds, WorkersInfo Workers,
    CpuInfo Cpu, MemoryInfo Memory, DiskInfo Disk, IReadOnlyList<GpuInfo> Gpus, IReadOnlyList<ServiceHealth> Services, ComfyInfo Comfyui, SandboxStatus Sandbox);

public static class StatusApi
{
    // The process's own start, not this class's first use: uptime counts from when the API started.
    private static readonly DateTimeOffset StartedAt = System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime();
    private static readonly string Version = typeof(StatusApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    // The services whose health the status reports, as service discovery names them.
    private static readonly string[] ServiceNames = ["session-runner", "zai-proxy", "comfy-bridge"];

    public static IEndpointRouteBuilder MapStatusApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/status", GetStatus).WithName("GetStatus").WithTags("Status").WithSummary("Uptime, workers, host resources and each service's health");
        return app;
    }

    public static async Task<Ok<SystemStatus>> GetStatus(
        SessionRunnerGrpc.SessionRunnerClient runner, ComfyStatusReader comfy, IHttpClientFactory httpClients, IConfiguration configuration, CancellationToken cancellationToken)
    {
        var runnerStatus = RunnerAsync(runner, cancellationToken);
        var cpu = HostMetrics.CpuAsync(cancellationToken);
        var gpus = HostMetrics.GpusAsync(cancellationToken);
        var comfyui = comfy.ReadAsync(cancellationToken);
        var services = Task.WhenAll(ServiceNames.Select(name => HealthAsync(name, httpClients, configuration, cancellationToken)));
        var now = DateTimeOffset.UtcNow;
        var (workers, sandbox) = await runnerStatus;
        return TypedResults.Ok(new SystemStatus(
            Version, StartedAt, Math.Round((now - StartedAt).TotalSeconds, 1), workers,
            await cpu, HostMetrics.Memory(), HostMetrics.Disk(AppContext.BaseDirectory), await gpus, await services, await comfyui, sandbox));
    }

    private static async Task<(WorkersInfo, SandboxStatus)> RunnerAsync(SessionRunnerGrpc.SessionRunnerClient runner, CancellationToken cancellationToken)
    {
        try
        {
            var status = await runner.GetRunnerStatusAsync(new RunnerStatusRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(3), cancellationToken: cancellationToken));
            return (new WorkersInfo(status.Active, status.MaxConcurrent, status.Queued, status.RunnerId, null),
                new SandboxStatus(status.SandboxMode, status.SandboxAvailable, status.SandboxDetail));
        }
        catch (RpcException e)
        {
            return (new WorkersInfo(0, 0, 0, null, e.Status.Detail), new SandboxStatus("unknown", false, "The session runner could not be asked."));
        }
    }

    private static async Task<ServiceHealth> HealthAsync(string name, IHttpClientFactory httpClients, IConfiguration configuration, CancellationToken cancellationToken)
    {
        var address = configuration[$"services:{name}:http:0"];
        if (address is null)
        {
            return new ServiceHealth(name, "unknown", null, "not configured");
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            using var client = httpClients.CreateClient("health");
            client.Timeout = TimeSpan.FromSeconds(3);
            using var response = await client.GetAsync(new Uri(new Uri(address), "/health"), cancellationToken);
            var latency = Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1);
            return new ServiceHealth(name, response.IsSuccessStatusCode ? "healthy" : "unhealthy", latency, response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new ServiceHealth(name, "unreachable", null, e.Message);
        }
    }
}
