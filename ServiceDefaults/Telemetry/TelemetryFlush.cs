using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AgentFleet.ServiceDefaults.Telemetry;

/// <summary>
/// Flushes traces, metrics and logs when the host stops. Registered before the app's own services, so it stops after
/// them and after the server: everything has been recorded. Left to disposal, the exporters would send from a container
/// that is taking apart the HttpClient factory and service discovery they send through, and lose the last batch. The
/// providers are taken when the host starts: by the time it stops, a test host may have disposed its container.
/// </summary>
internal sealed class TelemetryFlush(IServiceProvider services) : IHostedService
{
    private const int TimeoutMilliseconds = 5_000;

    private TracerProvider? _tracing;
    private MeterProvider? _metrics;
    private LoggerProvider? _logs;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _tracing = services.GetService<TracerProvider>();
        _metrics = services.GetService<MeterProvider>();
        _logs = services.GetService<LoggerProvider>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            _tracing?.ForceFlush(TimeoutMilliseconds);
            _metrics?.ForceFlush(TimeoutMilliseconds);
            _logs?.ForceFlush(TimeoutMilliseconds);
        }
        catch (ObjectDisposedException)
        {
            // Already disposed, which flushed it.
        }
        return Task.CompletedTask;
    }
}
