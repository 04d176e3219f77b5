using AgentFleet.ComfyBridge.Options;
using AgentFleet.ComfyBridge.Outputs;
using Microsoft.Extensions.Options;

namespace AgentFleet.ComfyBridge.Services;

/// <summary>Deletes outputs older than <c>OutputRetention</c>, at start and every <c>CleanupInterval</c>.</summary>
public sealed partial class OutputCleanup(OutputStore outputs, IOptions<ComfyOptions> options, TimeProvider time, ILogger<OutputCleanup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CleanupInterval, time);
        do
        {
            try
            {
                var deleted = await outputs.DeleteOlderThanAsync(time.GetUtcNow() - options.Value.OutputRetention, stoppingToken);
                if (deleted > 0)
                {
                    LogDeleted(logger, deleted, options.Value.OutputRetention);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(LogLevel.Information, "Deleted {Count} outputs older than {Retention}")]
    private static partial void LogDeleted(ILogger logger, int count, TimeSpan retention);

    [LoggerMessage(LogLevel.Warning, "Output clean-up failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
