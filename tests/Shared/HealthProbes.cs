using Npgsql;

namespace AgentFleet.Testing;

/// <summary>Whether a test server answers: a real query for PostgreSQL, PING for Redis.</summary>
internal static class HealthProbes
{
    public static async Task<bool> PostgresAsync(string connectionString, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Timeout = 2, Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var query = new NpgsqlCommand("SELECT 1", connection);
        await query.ExecuteScalarAsync(cancellationToken);
        return true;
    }

    public static async Task<bool> RedisAsync(string connectionString, CancellationToken cancellationToken)
    {
        var options = StackExchange.Redis.ConfigurationOptions.Parse(connectionString);
        options.ConnectTimeout = 2_000;
        options.ConnectRetry = 0;
        await using var client = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(options).WaitAsync(cancellationToken);
        await client.GetDatabase().PingAsync().WaitAsync(cancellationToken);
        return true;
    }
}
