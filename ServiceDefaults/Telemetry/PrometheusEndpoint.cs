using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFleet.ServiceDefaults.Telemetry;

public static class PrometheusEndpoint
{
    /// <summary>Maps <c>GET /metrics</c> in the Prometheus text exposition format.</summary>
    public static IEndpointConventionBuilder MapPrometheusMetrics(this IEndpointRouteBuilder endpoints, string pattern = "/metrics") =>
        endpoints.MapGet(pattern, (PrometheusMetricsCollector collector) =>
                Results.Text(collector.Scrape(), PrometheusTextWriter.ContentType))
            .WithName("PrometheusMetrics")
            .ExcludeFromDescription();
}
