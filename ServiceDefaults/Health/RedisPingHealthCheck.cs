using System.Net.Sockets;
using System.Text;
using AgentFleet.ServiceDefaults.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace AgentFleet.ServiceDefaults.Health;

/// <summary>
/// Readiness of Redis by a RESP <c>PING</c> on a short-lived connection. It stands until the project's
/// Redis client lands, whose registration then replaces it with a check on its own connection.
/// </summary>
public sealed class RedisPingHealthCheck(RedisEndpoint endpoint) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(endpoint.Host, endpoint.Port, cancellationToken);
            var stream = client.GetStream();
            var command = endpoint.Password is null
                ? "PING\r\n"
                : $"*2\r\n$4\r\nAUTH\r\n${Encoding.UTF8.GetByteCount(endpoint.Password)}\r\n{endpoint.Password}\r\nPING\r\n";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(command), cancellationToken);
            var reply = await ReadRepliesAsync(stream, endpoint.Password is null ? 1 : 2, cancellationToken);
            return reply.EndsWith("+PONG\r\n", StringComparison.Ordinal)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("Redis refused PING (authentication?)");
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return HealthCheckResult.Unhealthy("Redis is unreachable", ex);
        }
    }

    private static async Task<string> ReadRepliesAsync(NetworkStream stream, int lines, CancellationToken cancellationToken)
    {
        var buffer = new byte[512];
        var text = new StringBuilder();
        while (text.ToString().Split("\r\n").Length - 1 < lines)
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                break;
            }
            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        return text.ToString();
    }
}

public static class RedisHealthExtensions
{
    /// <summary>Adds a Redis readiness check when <c>ConnectionStrings__{name}</c> is set.</summary>
    public static IHostApplicationBuilder AddRedisHealthCheck(this IHostApplicationBuilder builder, string connectionName = "redis")
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName);
        if (connectionString is not null)
        {
            var endpoint = RedisEndpoint.Parse(connectionString);
            builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
                $"redis:{connectionName}", _ => new RedisPingHealthCheck(endpoint), HealthStatus.Unhealthy, [HealthExtensions.ReadyTag], TimeSpan.FromSeconds(5)));
        }
        return builder;
    }
}
