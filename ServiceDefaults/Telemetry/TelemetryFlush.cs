using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AgentFleet.ServiceDefaults.Telemetry;

/// <summary>
/// Flushes traces, metrics and logs when the host stops. Registered before the app's own services, so it stops after
/// them and after the server: everything has been recorded. Left to disposal, the exporters would send from a container
/// that is taking apart the HttpClient factory and service discovery they send through, and lose the last batch.
/// </summary>
internal sealed class TelemetryFlush(IServiceProvider services) : IHostedService
{
    private const int TimeoutMilliseconds = 5_000;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        services.GetService<TracerProvider>()?.ForceFlush(TimeoutMilliseconds);
        services.GetService<MeterProvider>()?.ForceFlush(TimeoutMilliseconds);
        services.GetService<LoggerProvider>()?.ForceFlush(TimeoutMilliseconds);
        return Task.CompletedTask;
    }
}
