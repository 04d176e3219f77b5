using AgentFleet.SessionRunner.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentFleet.SessionRunner.Services;

/// <summary>
/// Announces this runner in <c>runners</c> (its address and load, every <see cref="SessionRunnerOptions.HeartbeatSeconds"/>)
/// so ManagementApi can place sessions on the least-loaded runner and send each session's commands to its owner. At
/// start it claims the sessions its root holds; when it stops it leaves, so nothing more is placed on it.
/// </summary>
public sealed partial class RunnerHeartbeat(
    SessionSupervisor supervisor, RunnerRegistry registry, IOptions<SessionRunnerOptions> options, IConfiguration configuration,
    ILogger<RunnerHeartbeat> logger) : BackgroundService
{
    private readonly string? _address = RunnerAddress.Resolve(options.Value.AdvertisedAddress, configuration["Kestrel:Endpoints:grpc:Url"]);
    private bool _claimed;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Claimed before the first beat, so a runner that is listed already owns what its volume holds.
        await BeatAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.HeartbeatSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await BeatAsync(stoppingToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await registry.LeaveAsync(options.Value.RunnerId, cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException)
        {
            // The lease runs out on its own.
            LogBeatFailed(logger, e.Message);
        }
    }

    private async Task BeatAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (!_claimed)
            {
                await registry.ClaimAsync(options.Value.RunnerId, supervisor.SessionIds, cancellationToken);
                _claimed = true;
            }
            var status = supervisor.GetStatus();
            status.GrpcAddress = _address ?? "";
            await registry.BeatAsync(status, supervisor.StartedAt, cancellationToken);
        }
        catch (NpgsqlException e)
        {
            // Missed beats only make the runner look gone to placement; its sessions carry on.
            LogBeatFailed(logger, e.Message);
        }
    }

    [LoggerMessage(LogLevel.Warning, "The runner's heartbeat could not be recorded: {Reason}")]
    private static partial void LogBeatFailed(ILogger logger, string reason);
}
