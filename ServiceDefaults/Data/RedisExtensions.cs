using AgentFleet.ServiceDefaults.Health;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace AgentFleet.ServiceDefaults.Data;

public static class RedisExtensions
{
    /// <summary>
    /// The <see cref="IConnectionMultiplexer"/> from <c>ConnectionStrings__{name}</c> through Aspire.StackExchange.Redis,
    /// with its tracing, and the readiness check <c>redis:{name}</c> (a PING). The multiplexer connects in the
    /// background and reconnects by itself (abortConnect=false), so the service starts while Redis is still coming up.
    /// </summary>
    /// <param name="carriesOn">
    /// For a service that works on without Redis (what Redis shares between replicas waits): its check is then Degraded,
    /// not Unhealthy, so the service stays ready, and these words say what is shared and what is not.
    /// </param>
    public static IHostApplicationBuilder AddFleetRedis(this IHostApplicationBuilder builder, string connectionName = "redis", RedisOutage? carriesOn = null)
    {
        builder.Configuration.RequireConnectionString(connectionName);
        builder.AddRedisClient(connectionName, settings => settings.DisableHealthChecks = true, options =>
        {
            options.AbortOnConnectFail = false;
            // A command waits this long for its reply, or for a connection being made (start-up, a reconnect).
            options.AsyncTimeout = 5_000;
            options.ConnectTimeout = 2_000;
        });
        builder.Services.AddReadinessCheck($"redis:{connectionName}", services => new RedisHealthCheck(services.GetRequiredService<IConnectionMultiplexer>(), carriesOn),
            carriesOn is null ? HealthStatus.Unhealthy : HealthStatus.Degraded);
        return builder;
    }
}

/// <summary>Readiness of Redis: a PING through the service's own multiplexer; the reason is never the exception's text.</summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis, RedisOutage? carriesOn = null) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!redis.IsConnected)
        {
            return Down(null);
        }
        try
        {
            await redis.GetDatabase().PingAsync().WaitAsync(cancellationToken);
            return carriesOn is null ? HealthCheckResult.Healthy() : HealthCheckResult.Healthy(carriesOn.WhileUp);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return Down(ex);
        }
    }

    private HealthCheckResult Down(Exception? ex) => carriesOn is null
        ? HealthCheckResult.Unhealthy("Redis is unreachable", ex)
        : HealthCheckResult.Degraded($"Redis is unreachable: {carriesOn.WhileDown}", ex);
}

/// <summary>What a service that carries on without Redis says about it: what Redis shares while it answers, and what happens meanwhile.</summary>
public sealed record RedisOutage(string WhileUp, string WhileDown);
