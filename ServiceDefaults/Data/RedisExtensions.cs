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
    public static IHostApplicationBuilder AddFleetRedis(this IHostApplicationBuilder builder, string connectionName = "redis")
    {
        builder.Configuration.RequireConnectionString(connectionName);
        builder.AddRedisClient(connectionName, settings => settings.DisableHealthChecks = true, options =>
        {
            options.AbortOnConnectFail = false;
            // A command waits this long for its reply, or for a connection being made (start-up, a reconnect).
            options.AsyncTimeout = 5_000;
            options.ConnectTimeout = 2_000;
        });
        builder.Services.AddReadinessCheck($"redis:{connectionName}", services => new RedisHealthCheck(services.GetRequiredService<IConnectionMultiplexer>()));
        return builder;
    }
}

/// <summary>Readiness of Redis: a PING through the service's own multiplexer; the reason is never the exception's text.</summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!redis.IsConnected)
        {
            return HealthCheckResult.Unhealthy("Redis is unreachable");
        }
        try
        {
            await redis.GetDatabase().PingAsync().WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Redis is unreachable", ex);
        }
    }
}
