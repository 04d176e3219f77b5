using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentFleet.ZaiProxy.Accounting;

/// <summary>
/// ZaiProxy's view of its Redis check: Redis away is Degraded, not Unhealthy, because model calls go on with each
/// replica's own spend figure; an unready proxy would be taken out of service and fail the very calls Redis does not
/// need to answer. The description says whether budgets are counted across replicas right now.
/// </summary>
public sealed class SpendCountersHealthCheck(IHealthCheck redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var result = await redis.CheckHealthAsync(context, cancellationToken);
        return result.Status == HealthStatus.Healthy
            ? HealthCheckResult.Healthy("budgets' spend is shared by every replica")
            : HealthCheckResult.Degraded("Redis is unreachable: budgets count this replica's calls on top of the stored spend", result.Exception);
    }

    /// <summary>Wraps the check ServiceDefaults registered as <paramref name="name"/>; a timeout is Degraded too.</summary>
    public static void Wrap(HealthCheckServiceOptions options, string name)
    {
        foreach (var registration in options.Registrations.Where(r => r.Name == name))
        {
            var factory = registration.Factory;
            registration.Factory = services => new SpendCountersHealthCheck(factory(services));
            registration.FailureStatus = HealthStatus.Degraded;
        }
    }
}
