using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;

namespace AgentFleet.ServiceDefaults.Http;

public static class HttpClientDefaults
{
    /// <summary>
    /// Every HttpClient from the factory (the gRPC clients among them) resolves service names through service discovery
    /// and goes through the standard resilience handler: a total and a per-attempt timeout, retries, a circuit breaker.
    /// Only safe methods are retried, so a POST (every gRPC call, a ComfyUI prompt) is never sent twice. The timeouts
    /// end when the response headers arrive, so a stream (a gRPC WatchSession, a download) runs as long as it needs.
    /// </summary>
    public static IServiceCollection AddFleetHttpClientDefaults(this IServiceCollection services)
    {
        services.AddServiceDiscovery();
        services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler(options => options.Retry.DisableForUnsafeHttpMethods());
            http.AddServiceDiscovery();
        });
        // The OpenTelemetry exporters' clients: their own retries suffice, and a Polly log line per export helps nobody.
        foreach (var exporter in (string[])["OtlpTraceExporter", "OtlpMetricExporter", "OtlpLogExporter"])
        {
            services.AddHttpClient(exporter).WithoutResilience();
        }
        return services;
    }

    /// <summary>
    /// For a client that must see each answer as it came: a health probe reports a 503 rather than retrying it, and a
    /// client shared by many destinations (webhooks, a pool of ComfyUI servers) must not pause them all when one fails.
    /// </summary>
    public static IHttpClientBuilder WithoutResilience(this IHttpClientBuilder client)
    {
        // Marked experimental (EXTEXP0001) in Microsoft.Extensions.Http.Resilience 11.0.0, which is pinned; it is the
        // package's own way to take a client out of ConfigureHttpClientDefaults' handler.
#pragma warning disable EXTEXP0001
        client.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        return client;
    }
}
