using AgentFleet.ServiceDefaults.Health;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace AgentFleet.ServiceDefaults.Data;

public static class NpgsqlExtensions
{
    /// <summary>
    /// The <see cref="NpgsqlDataSource"/> from <c>ConnectionStrings__{name}</c> through Aspire.Npgsql, with its tracing
    /// and metrics, and the readiness check <c>postgres:{name}</c> (a <c>SELECT 1</c> that says only whether PostgreSQL
    /// answers, never why not: the reason can carry the connection string).
    /// </summary>
    public static IHostApplicationBuilder AddFleetDatabase(this IHostApplicationBuilder builder, string connectionName)
    {
        builder.Configuration.RequireConnectionString(connectionName);
        builder.AddNpgsqlDataSource(connectionName, settings => settings.DisableHealthChecks = true);
        builder.Services.AddReadinessCheck($"postgres:{connectionName}", services => new NpgsqlHealthCheck(services.GetRequiredService<NpgsqlDataSource>()));
        return builder;
    }

    /// <summary>
    /// Applies the numbered <c>Migrations/*.sql</c> files embedded in <paramref name="migrationsAssembly"/>
    /// at start-up, before the service serves anything.
    /// </summary>
    public static IHostApplicationBuilder AddMigrations(this IHostApplicationBuilder builder, string component, System.Reflection.Assembly migrationsAssembly)
    {
        builder.Services.AddSingleton(services => new MigrationRunner(
            services.GetRequiredService<NpgsqlDataSource>(),
            component,
            MigrationScript.FromAssembly(migrationsAssembly),
            services.GetRequiredService<Microsoft.Extensions.Logging.ILogger<MigrationRunner>>()));
        builder.Services.AddHostedService(services => services.GetRequiredService<MigrationRunner>());
        return builder;
    }
}

/// <summary>Readiness of PostgreSQL: <c>SELECT 1</c> through the data source.</summary>
public sealed class NpgsqlHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL is unreachable", ex);
        }
    }
}
