using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentFleet.ComfyBridge.Infrastructure;

/// <summary>
/// The bridge's view of its Redis check: Redis away is Degraded, not Unhealthy, because jobs, streams and cancels go on
/// without it (streams of other replicas' jobs poll PostgreSQL); an unready bridge would be taken out of service for nothing.
/// </summary>
public sealed class BridgeBusHealthCheck(IHealthCheck redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var result = await redis.CheckHealthAsync(context, cancellationToken);
        return result.Status == HealthStatus.Healthy
            ? HealthCheckResult.Healthy("live events pass between replicas")
            : HealthCheckResult.Degraded("Redis is unreachable: streams of jobs other replicas follow poll PostgreSQL", result.Exception);
    }

    /// <summary>Wraps the check ServiceDefaults registered as <paramref name="name"/>; a timeout is Degraded too.</summary>
    public static void Wrap(HealthCheckServiceOptions options, string name)
    {
        foreach (var registration in options.Registrations.Where(r => r.Name == name))
        {
            var factory = registration.Factory;
            registration.Factory = services => new BridgeBusHealthCheck(factory(services));
            registration.FailureStatus = HealthStatus.Degraded;
        }
    }
}
