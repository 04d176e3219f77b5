using AgentFleet.Redis;
using AgentFleet.Redis.Connection;
using AgentFleet.ServiceDefaults.Health;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace AgentFleet.ServiceDefaults.Data;

public static class RedisExtensions
{
    /// <summary>
    /// Registers <see cref="IRedisClient"/> from <c>ConnectionStrings__{name}</c> (Aspire's
    /// <c>host:port,password=...</c> form) with a readiness check. The client connects in the background
    /// and reconnects by itself, so the service starts even while Redis is still coming up; its commands
    /// are traced (db.system=redis) and measured under the AgentFleet.Redis source and meter.
    /// </summary>
    public static IHostApplicationBuilder AddRedisClient(this IHostApplicationBuilder builder, string connectionName = "redis")
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName)
            ?? throw new InvalidOperationException(
                $"ConnectionStrings:{connectionName} is not set. Run through the AppHost, or set ConnectionStrings__{connectionName}.");
        // A command waits up to a second for a connection being made (start-up, a reconnect) rather than failing at once.
        var options = RedisOptions.Parse(connectionString) with { ReconnectWait = TimeSpan.FromSeconds(1) };
        builder.Services.AddSingleton<IRedisClient>(_ => RedisClient.Connecting(options));
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            $"redis:{connectionName}",
            services => new RedisHealthCheck(services.GetRequiredService<IRedisClient>()),
            HealthStatus.Unhealthy,
            [HealthExtensions.ReadyTag],
            TimeSpan.FromSeconds(5)));
        return builder;
    }
}

/// <summary>Readiness of Redis: a PING through the service's own client.</summary>
public sealed class RedisHealthCheck(IRedisClient client) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await client.PingAsync(cancellationToken) == "PONG"
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("Redis answered PING unexpectedly");
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisServerException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Redis is unreachable", ex);
        }
    }
}
