using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AgentFleet.ServiceDefaults.Telemetry;

/// <summary>
/// Builds the tracer and meter providers straight from the OpenTelemetry SDK: the hosting and
/// instrumentation packages are not in the feed, but ASP.NET Core, HttpClient, Npgsql and the runtime
/// emit their own activities and meters, so listening to their names is all instrumentation needs.
/// </summary>
public static class OpenTelemetryExtensions
{
    public static void ConfigureOpenTelemetry(this IHostApplicationBuilder builder)
    {
        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] ?? builder.Environment.ApplicationName;
        var otlpEnabled = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var resource = ResourceBuilder.CreateDefault().AddService(serviceName);

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.SetResourceBuilder(resource);
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
            if (otlpEnabled)
            {
                logging.AddOtlpExporter();
            }
        });

        // Registered as singletons so the host disposes them on shutdown, which flushes what is buffered.
        builder.Services.AddSingleton(_ =>
        {
            var tracing = Sdk.CreateTracerProviderBuilder()
                .SetResourceBuilder(resource)
                .AddSource(TelemetryNames.ActivitySources)
                .SetSampler(new ParentBasedSampler(new AlwaysOnSampler()));
            if (otlpEnabled)
            {
                tracing.AddOtlpExporter();
            }
            return tracing.Build();
        });

        builder.Services.AddSingleton(_ =>
        {
            var metrics = Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(resource)
                .AddMeter(TelemetryNames.Meters);
            if (otlpEnabled)
            {
                metrics.AddOtlpExporter();
            }
            return metrics.Build();
        });

        builder.Services.AddSingleton<PrometheusMetricsCollector>();
        builder.Services.AddHostedService<TelemetryStartup>();
    }

    /// <summary>Resolves the providers at start so listening begins before the first request.</summary>
    private sealed class TelemetryStartup(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            services.GetRequiredService<TracerProvider>();
            services.GetRequiredService<MeterProvider>();
            services.GetRequiredService<PrometheusMetricsCollector>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
