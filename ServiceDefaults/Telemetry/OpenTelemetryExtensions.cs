using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AgentFleet.ServiceDefaults.Telemetry;

/// <summary>OpenTelemetry as the Aspire service defaults set it up, plus the Prometheus scrape endpoint.</summary>
public static class OpenTelemetryExtensions
{
    public static void ConfigureOpenTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? builder.Environment.ApplicationName))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddMeter(TelemetryNames.AspNetCoreMeters)
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(TelemetryNames.ProjectWildcard)
                .AddPrometheusNamingViews()
                .AddView(DurationBuckets.For)
                .AddPrometheusExporter(prometheus =>
                {
                    // Each scrape reads the meters afresh (the exporter would otherwise answer from a 300 ms cache).
                    prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
                    // Series carry their own labels only: every instrument name is unique to its meter, so the meter's
                    // name as an otel_scope_name label would only lengthen each series.
                    prometheus.ScopeInfoEnabled = false;
                }))
            .WithTracing(tracing => tracing
                .SetSampler(TraceSampling.From(builder.Configuration))
                // Health polls (the AppHost's every few seconds, a load balancer's) and metric scrapes would bury the
                // requests people look for; /alive is left in, the one cheap probe a trace may be wanted of.
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !IsProbe(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddGrpcClientInstrumentation()
                .AddSource(TelemetryNames.ProjectWildcard));

        builder.Services.AddHostedService<TelemetryFlush>();

        // OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_PROTOCOL, _HEADERS and the rest are read by the SDK itself.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }
    }

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/ready") || path.StartsWithSegments("/metrics");

    /// <summary>Maps <c>GET /metrics</c> in the Prometheus text exposition format.</summary>
    public static IEndpointConventionBuilder MapPrometheusMetrics(this IEndpointRouteBuilder endpoints, string pattern = "/metrics") =>
        endpoints.MapPrometheusScrapingEndpoint(pattern);
}
