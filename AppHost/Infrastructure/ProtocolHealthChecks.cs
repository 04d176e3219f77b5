using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace AgentFleet.AppHost.Infrastructure;

// DCP's proxy accepts a TCP connection even while the server behind it is down, so these checks speak the protocol.

/// <summary>Healthy when the server answers a query.</summary>
public sealed class PostgresQueryHealthCheck(Func<CancellationToken, ValueTask<string?>> connectionString) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(await connectionString(cancellationToken)) { Timeout = 3, Pooling = false };
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var query = new NpgsqlCommand("SELECT 1", connection);
            await query.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // The message only: a connection string must not reach the dashboard.
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }
}

/// <summary>Healthy when the server answers AUTH and PING with +PONG.</summary>
public sealed class RedisPingHealthCheck(Func<CancellationToken, ValueTask<string?>> connectionString) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // host:port,password=...
        var parts = (await connectionString(cancellationToken) ?? "").Split(',');
        var hostPort = parts[0];
        var separator = hostPort.LastIndexOf(':');
        var password = parts.Skip(1).Select(p => p.Split('=', 2)).FirstOrDefault(p => p[0] == "password")?[1];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(hostPort[..separator], int.Parse(hostPort[(separator + 1)..]), timeout.Token);
            await using var stream = client.GetStream();
            var commands = new StringBuilder();
            if (password is not null)
            {
                commands.Append($"*2\r\n$4\r\nAUTH\r\n${Encoding.UTF8.GetByteCount(password)}\r\n{password}\r\n");
            }
            commands.Append("*1\r\n$4\r\nPING\r\n");
            await stream.WriteAsync(Encoding.UTF8.GetBytes(commands.ToString()), timeout.Token);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            if (password is not null && await reader.ReadLineAsync(timeout.Token) is var auth && auth != "+OK")
            {
                return HealthCheckResult.Unhealthy($"AUTH was answered with {auth ?? "nothing"}");
            }
            var pong = await reader.ReadLineAsync(timeout.Token);
            return pong == "+PONG" ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy($"PING was answered with {pong ?? "nothing"}");
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }
}
