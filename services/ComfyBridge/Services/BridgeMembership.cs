using AgentFleet.ComfyBridge.Infrastructure;
using AgentFleet.ComfyBridge.Jobs;
using AgentFleet.ComfyBridge.Options;
using Microsoft.Extensions.Options;

namespace AgentFleet.ComfyBridge.Services;

/// <summary>
/// The bridge's place among the replicas sharing the database: it registers, claims the jobs it is to follow, then
/// every <c>BridgeHeartbeat</c> renews its lease, lets go of jobs another bridge took over, and claims those of bridges
/// that are gone. It also carries out the cancels other replicas pass on. Stopping, it gives up its lease, so the jobs
/// it leaves in flight pass to another replica at that one's next heartbeat rather than after the lease.
/// </summary>
public sealed partial class BridgeMembership(BridgeRegistry registry, JobTracker tracker, BridgeBus bus, IOptions<ComfyOptions> options,
    ILogger<BridgeMembership> logger) : BackgroundService
{
    private readonly string _me = options.Value.BridgeId;

    /// <summary>Hosted services start before the server listens: the jobs this bridge follows are known before any request arrives.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await registry.HeartbeatAsync(_me, starting: true, cancellationToken);
        await tracker.ClaimAsync(starting: true, cancellationToken);
        LogStarted(logger, _me, tracker.InFlight);
        await base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(RenewAsync(stoppingToken), ServeCancelsAsync(stoppingToken));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await registry.RemoveAsync(_me, cancellationToken);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or OperationCanceledException)
        {
            // The lease then simply runs out.
        }
    }

    private async Task RenewAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.BridgeHeartbeat);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await registry.HeartbeatAsync(_me, starting: false, stoppingToken);
                    await tracker.ReleaseClaimedByOthersAsync(stoppingToken);
                    await tracker.ClaimAsync(starting: false, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogHeartbeatFailed(logger, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ServeCancelsAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var id in bus.CancelRequests.ReadAllAsync(stoppingToken))
            {
                // Each on its own: a cancel waits for its job to end, and must not hold up the next.
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await tracker.CancelForwardedAsync(id, stoppingToken);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        LogCancelFailed(logger, id, e.Message);
                    }
                }, CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(LogLevel.Information, "Bridge {BridgeId} started, following {Jobs} in-flight workflows")]
    private static partial void LogStarted(ILogger logger, string bridgeId, int jobs);

    [LoggerMessage(LogLevel.Warning, "Renewing the bridge's lease or claiming jobs failed: {Reason}")]
    private static partial void LogHeartbeatFailed(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Warning, "A cancel of workflow {WorkflowId} passed on by another bridge failed: {Reason}")]
    private static partial void LogCancelFailed(ILogger logger, Guid workflowId, string reason);
}
