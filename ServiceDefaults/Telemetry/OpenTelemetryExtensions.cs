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
        var otlp = OtlpSettings.From(builder.Configuration);
        var resource = ResourceBuilder.CreateDefault().AddService(serviceName);

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.SetResourceBuilder(resource);
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
            if (otlp is not null)
            {
                logging.AddOtlpExporter(options => otlp.Apply(options, "/v1/logs"));
            }
        });

        // Registered as singletons so the host disposes them on shutdown, which flushes what is buffered.
        builder.Services.AddSingleton(_ =>
        {
            var tracing = Sdk.CreateTracerProviderBuilder()
                .SetResourceBuilder(resource)
                .AddSource(TelemetryNames.ActivitySources)
                .SetSampler(TraceSampling.From(builder.Configuration));
            if (otlp is not null)
            {
                tracing.AddOtlpExporter(options => otlp.Apply(options, "/v1/traces"));
            }
            return tracing.Build();
        });

        builder.Services.AddSingleton(_ =>
        {
            var metrics = Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(resource)
                .AddMeter(TelemetryNames.Meters);
            if (otlp is not null)
            {
                metrics.AddOtlpExporter(options => otlp.Apply(options, "/v1/metrics"));
            }
            return metrics.Build();
        });

        builder.Services.AddSingleton<PrometheusMetricsCollector>();
        builder.Services.AddTransient<Microsoft.AspNetCore.Hosting.IStartupFilter, HttpServerSpanEnricher>();
        builder.Services.AddHostedService<TelemetryStartup>();
    }

    /// <summary>
    /// Resolves the providers at start so listening begins before the first request, and flushes them at
    /// stop: by the time the container disposes them, the meters ASP.NET Core made are already gone.
    /// </summary>
    private sealed class TelemetryStartup(TracerProvider tracing, MeterProvider metrics, PrometheusMetricsCollector prometheus) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            GC.KeepAlive(prometheus);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            // Registered first, so stopped last: the server has stopped and nothing else will be recorded.
            tracing.ForceFlush(5_000);
            metrics.ForceFlush(5_000);
            return Task.CompletedTask;
        }
    }
}
