using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentFleet.ServiceDefaults.Health;

public static class HealthExtensions
{
    /// <summary>Tag of checks that say the process is alive; every other check is a readiness check.</summary>
    public const string LiveTag = "live";

    /// <summary>Tag of readiness checks: dependencies (PostgreSQL, Redis, ...) the service needs to serve.</summary>
    public const string ReadyTag = "ready";

    /// <summary>A readiness check of a dependency: unhealthy when it fails, given 5 s.</summary>
    /// <param name="failureStatus">What a check that throws or times out counts as: Unhealthy, or Degraded for a dependency the service carries on without.</param>
    public static IHealthChecksBuilder AddReadinessCheck(this IServiceCollection services, string name, Func<IServiceProvider, IHealthCheck> check,
        HealthStatus failureStatus = HealthStatus.Unhealthy) =>
        services.AddHealthChecks().Add(new HealthCheckRegistration(name, check, failureStatus, [ReadyTag], TimeSpan.FromSeconds(5)));

    public static void AddDefaultHealthChecks(this IHostApplicationBuilder builder) =>
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);

    /// <summary>
    /// <c>/alive</c> runs only the liveness checks; <c>/health</c> and <c>/ready</c> run every check.
    /// Mapped in every environment: orchestrators probe production too. Bodies are JSON.
    /// </summary>
    public static void MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/alive", Options(check => check.Tags.Contains(LiveTag)));
        endpoints.MapHealthChecks("/health", Options(_ => true));
        endpoints.MapHealthChecks("/ready", Options(_ => true));
    }

    private static HealthCheckOptions Options(Func<HealthCheckRegistration, bool> predicate) => new()
    {
        Predicate = predicate,
        ResponseWriter = HealthReportWriter.WriteAsync,
        AllowCachingResponses = false,
    };
}
