using System.Reflection;
using Grpc.Core;
using AgentFleet.ManagementApi.Services;
using AgentFleet.SessionRunner.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentFleet.ManagementApi.Apis;

/// <summary>Agent slots across the runners; <c>Runners</c> lists each live runner when they announce themselves.</summary>
public sealed record WorkersInfo(int Active, int Total, int Queued, string? RunnerId, string? Error, IReadOnlyList<RunnerView>? Runners = null);
public sealed record RunnerView(string RunnerId, int Active, int Total, int Queued, bool SandboxAvailable, DateTimeOffset? HeartbeatAt);
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
        RunnerDirectory runners, ComfyStatusReader comfy, IHttpClientFactory httpClients, IConfiguration configuration, CancellationToken cancellationToken)
    {
        var runnerStatus = RunnerAsync(runners, cancellationToken);
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

    private static async Task<(WorkersInfo, SandboxStatus)> RunnerAsync(RunnerDirectory runners, CancellationToken cancellationToken)
    {
        try
        {
            var status = await runners.ReadAsync(runner => runner.GetRunnerStatusAsync(new RunnerStatusRequest(),
                new CallOptions(deadline: DateTime.UtcNow.AddSeconds(3), cancellationToken: cancellationToken)).ResponseAsync);
            var sandbox = new SandboxStatus(status.SandboxMode, status.SandboxAvailable, status.SandboxDetail);
            var live = await runners.LiveAsync(cancellationToken);
            if (live.Count == 0)
            {
                return (new WorkersInfo(status.Active, status.MaxConcurrent, status.Queued, status.RunnerId, null), sandbox);
            }
            // Each runner's figures as it has them now; its last heartbeat's when it cannot be asked.
            var current = await Task.WhenAll(live.Select(r => r.RunnerId == status.RunnerId ? Task.FromResult(status) : CurrentAsync(runners, r, cancellationToken)));
            var views = live.Zip(current, (r, now) =>
                new RunnerView(r.RunnerId, now.Active, now.MaxConcurrent, now.Queued, now.SandboxAvailable, r.HeartbeatAt?.ToDateTimeOffset())).ToList();
            return (new WorkersInfo(views.Sum(r => r.Active), views.Sum(r => r.Total), views.Sum(r => r.Queued), views.Count == 1 ? views[0].RunnerId : null, null, views), sandbox);
        }
        catch (RpcException e)
        {
            return (new WorkersInfo(0, 0, 0, null, e.Status.Detail), new SandboxStatus("unknown", false, "The session runner could not be asked."));
        }
    }

    private static async Task<RunnerStatus> CurrentAsync(RunnerDirectory runners, RunnerStatus announced, CancellationToken cancellationToken)
    {
        try
        {
            var runner = await runners.ForRunnerAsync(announced.RunnerId, cancellationToken);
            var status = await runner.GetRunnerStatusAsync(new RunnerStatusRequest(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(3), cancellationToken: cancellationToken));
            return status.RunnerId == announced.RunnerId ? status : announced;
        }
        catch (RpcException)
        {
            return announced;
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
