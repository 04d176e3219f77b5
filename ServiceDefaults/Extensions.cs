using AgentFleet.ServiceDefaults.Health;
using AgentFleet.ServiceDefaults.Http;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.Hosting;

/// <summary>What every Agent Fleet service shares: telemetry, health, metrics, ProblemDetails.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>
    /// Adds OpenTelemetry (traces, metrics, logs; OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set),
    /// the Prometheus exporter, the liveness check, ProblemDetails with stable codes, service discovery and resilient HttpClients.
    /// </summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddFleetProblemDetails();
        // Names such as http://management-api or http://_grpc.session-runner resolve from services__<name>__<endpoint>__0.
        builder.Services.AddFleetHttpClientDefaults();
        return builder;
    }

    /// <summary>
    /// Maps <c>/alive</c>, <c>/health</c>, <c>/ready</c> and <c>/metrics</c> in every environment,
    /// and turns errors into ProblemDetails.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseFleetProblemDetails();
        app.MapHealthEndpoints();
        app.MapPrometheusMetrics();
        return app;
    }
}
