using Microsoft.Extensions.Options;

namespace AgentFleet.SessionRunner.Services;

/// <summary>Runs the retention sweep of finished sessions on a fixed interval.</summary>
public sealed partial class SessionCleanup(SessionSupervisor supervisor, IOptions<SessionRunnerOptions> options, ILogger<SessionCleanup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(options.Value.CleanupIntervalMinutes));
        do
        {
            var removed = supervisor.CleanUp(DateTimeOffset.UtcNow);
            if (removed > 0)
            {
                LogRemoved(logger, removed);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(LogLevel.Information, "Removed {Count} finished sessions past their retention")]
    private static partial void LogRemoved(ILogger logger, int count);
}
