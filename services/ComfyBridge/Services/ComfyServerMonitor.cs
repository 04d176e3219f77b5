using AgentFleet.ComfyBridge.ComfyUi;
using AgentFleet.ComfyBridge.Jobs;
using AgentFleet.ComfyBridge.Options;
using Microsoft.Extensions.Options;

namespace AgentFleet.ComfyBridge.Services;

/// <summary>
/// Keeps one WebSocket open to each ComfyUI server and feeds its messages to the <see cref="JobTracker"/>. A dropped
/// connection is opened again with doubling waits (0.5 s to 10 s); each time it opens, and every
/// <c>ReconcileInterval</c> while it is open, the jobs on that server are checked against its queue and history. The jobs
/// it follows were claimed before it starts (<see cref="BridgeMembership"/>).
/// </summary>
public sealed partial class ComfyServerMonitor(ComfyServerPool pool, JobTracker tracker, IOptions<ComfyOptions> options, ILogger<ComfyServerMonitor> logger)
    : BackgroundService
{
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(pool.Servers.Select(server => WatchAsync(server, stoppingToken)));

    private async Task WatchAsync(ComfyServer server, CancellationToken stoppingToken)
    {
        var backoff = MinBackoff;
        while (!stoppingToken.IsCancellationRequested)
        {
            using var connection = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            Task? reconciling = null;
            try
            {
                await foreach (var message in ComfyUiEvents.ReadAsync(server.Client.BaseAddress, options.Value.SocketClientId, connection.Token))
                {
                    if (!server.Connected)
                    {
                        // ComfyUI greets with a status message; from here on nothing about our prompts is missed, so what came before is read back.
                        server.Connected = true;
                        server.LastError = null;
                        backoff = MinBackoff;
                        LogConnected(logger, server.Url);
                        await ReconcileAsync(server, connection.Token);
                        reconciling = ReconcilePeriodicallyAsync(server, connection.Token);
                    }
                    try
                    {
                        await tracker.OnMessageAsync(server, message, connection.Token);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        LogMessageFailed(logger, message.Type, server.Url, e.Message);
                    }
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                server.LastError = e.Message;
            }
            if (server.Connected)
            {
                LogDisconnected(logger, server.Url, server.LastError ?? "closed");
            }
            server.Connected = false;
            await connection.CancelAsync();
            if (reconciling is not null)
            {
                await reconciling;
            }
            try
            {
                await Task.Delay(backoff, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    private async Task ReconcilePeriodicallyAsync(ComfyServer server, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.ReconcileInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await ReconcileAsync(server, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReconcileAsync(ComfyServer server, CancellationToken cancellationToken)
    {
        try
        {
            await tracker.ReconcileAsync(server, cancellationToken);
            await tracker.ReconcileOrphansAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogReconcileFailed(logger, server.Url, e.Message);
        }
    }

    [LoggerMessage(LogLevel.Information, "Connected to ComfyUI at {Server}")]
    private static partial void LogConnected(ILogger logger, string server);

    [LoggerMessage(LogLevel.Warning, "Lost the connection to ComfyUI at {Server}: {Reason}")]
    private static partial void LogDisconnected(ILogger logger, string server, string reason);

    [LoggerMessage(LogLevel.Warning, "A {Type} message from {Server} could not be applied: {Reason}")]
    private static partial void LogMessageFailed(ILogger logger, string type, string server, string reason);

    [LoggerMessage(LogLevel.Warning, "Checking the jobs on {Server} against its queue and history failed: {Reason}")]
    private static partial void LogReconcileFailed(ILogger logger, string server, string reason);
}
