using Microsoft.Extensions.DependencyInjection;

namespace AgentFleet.ServiceDefaults.Resilience;

public static class ResilienceExtensions
{
    /// <summary>Timeouts, jittered retries of idempotent requests honouring Retry-After, and a circuit breaker.</summary>
    public static IHttpClientBuilder AddStandardResilience(this IHttpClientBuilder builder, ResilienceOptions? options = null) =>
        builder.AddHttpMessageHandler(services => new ResilienceHandler(options ?? ResilienceOptions.Standard, services.GetService<TimeProvider>()));

    /// <summary>The streaming-safe variant: no total timeout, no retry once the response has started.</summary>
    public static IHttpClientBuilder AddStreamingResilience(this IHttpClientBuilder builder, ResilienceOptions? options = null) =>
        builder.AddHttpMessageHandler(services => new StreamingResilienceHandler(options ?? ResilienceOptions.Streaming, services.GetService<TimeProvider>()));
}
