using System.Collections.Concurrent;

namespace AgentFleet.AppHost.Supervision;

/// <summary>
/// Starts again, with <see cref="RestartBackoff"/>, a process resource (a service, PostgreSQL, Redis) that exits on its
/// own. Aspire does not restart anything by itself: this watches <see cref="ResourceNotificationService"/> and runs the
/// resource's start command, the one the dashboard's Start button runs. A resource stopped on purpose (the dashboard's
/// Stop, the AppHost shutting down) passes through Stopping first and is left alone.
/// </summary>
public sealed class RestartOnExit(
    ResourceNotificationService notifications,
    ResourceCommandService commands,
    DistributedApplicationModel model,
    IHostApplicationLifetime lifetime,
    ILogger<RestartOnExit> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, Supervised> _supervised = new(StringComparer.Ordinal);

    /// <summary>How often each resource has been started again; the resource snapshot file shows it.</summary>
    public int RestartsOf(string resourceName) => _supervised.TryGetValue(resourceName, out var s) ? s.Restarts : 0;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var processes = model.Resources.Where(r => r is ProjectResource or ExecutableResource).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        await foreach (var update in notifications.WatchAsync(stoppingToken))
        {
            if (!processes.Contains(update.Resource.Name))
            {
                continue;
            }
            var supervised = _supervised.GetOrAdd(update.Resource.Name, _ => new Supervised());
            var state = update.Snapshot.State?.Text;
            var previous = supervised.LastState;
            supervised.LastState = state;
            if (update.Snapshot.HealthStatus == HealthStatus.Healthy && supervised.HealthySince is null)
            {
                supervised.HealthySince = DateTime.UtcNow;
            }
            if (state == previous || !IsExit(state) || previous == KnownResourceStates.Stopping || lifetime.ApplicationStopping.IsCancellationRequested)
            {
                continue;
            }
            var healthyFor = supervised.HealthySince is DateTime since ? DateTime.UtcNow - since : TimeSpan.Zero;
            supervised.HealthySince = null;
            var delay = supervised.Backoff.Next(healthyFor, Random.Shared.NextDouble());
            logger.LogWarning("{Resource} exited ({State}, exit code {ExitCode}); starting it again in {Delay:0.0} s.",
                update.Resource.Name, state, update.Snapshot.ExitCode, delay.TotalSeconds);
            _ = RestartAfterAsync(update.Resource, supervised, delay, stoppingToken);
        }
    }

    private async Task RestartAfterAsync(IResource resource, Supervised supervised, TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, stoppingToken);
            // Stopped by hand meanwhile, or already back: nothing to do.
            if (!IsExit(supervised.LastState) || lifetime.ApplicationStopping.IsCancellationRequested)
            {
                return;
            }
            Interlocked.Increment(ref supervised.Restarts);
            var result = await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, stoppingToken);
            if (!result.Success)
            {
                logger.LogError("{Resource} could not be started again: {Error}", resource.Name, result.Message);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static bool IsExit(string? state) =>
        state == KnownResourceStates.Exited || state == KnownResourceStates.Finished || state == KnownResourceStates.FailedToStart;

    private sealed class Supervised
    {
        public readonly RestartBackoff Backoff = new();
        public int Restarts;
        public string? LastState;
        public DateTime? HealthySince;
    }
}
