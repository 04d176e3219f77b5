using AgentFleet.Hosting.Infrastructure;
using AgentFleet.ServiceDefaults.Data;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace AgentFleet.Hosting.ApplicationModel;

/// <summary>A PostgreSQL server: a container where Docker answers, otherwise the installed binaries.</summary>
public sealed class PostgresServerResource : ProcessResource, IResourceWithConnectionString
{
    public PostgresServerResource(string name, ParameterResource password) : base(name)
    {
        Password = password;
        Endpoints.Add(new Endpoint("tcp", "tcp", null));
        HealthProbe = cancellationToken => HealthProbes.PostgresAsync(GetConnectionString(), cancellationToken);
    }

    public override string Kind => "postgres";

    public ParameterResource Password { get; }

    public string GetConnectionString() =>
        ExternalConnectionString ?? LocalPostgres.ConnectionString(GetEndpoint("tcp").Port, Password.Value, "postgres");

    public override async Task<LaunchSpec> PrepareAsync(HostingContext context, CancellationToken cancellationToken)
    {
        var port = GetEndpoint("tcp").Port;
        var root = Path.Combine(context.FleetHome, Name);
        if (context.UseContainers)
        {
            var data = Path.Combine(root, "container-data");
            Directory.CreateDirectory(data);
            var container = ContainerRuntime.ContainerName(Name, context.FleetHome);
            await ContainerRuntime.RemoveAsync(container);
            return new LaunchSpec("docker", ContainerRuntime.RunArguments(container, "docker.io/library/postgres:17", port, 5432, data, "/var/lib/postgresql/data", ["POSTGRES_PASSWORD"], []), root)
            {
                StopSignal = Signals.SIGINT,
                Environment = { ["POSTGRES_PASSWORD"] = Password.Value },
            };
        }
        var bin = LocalPostgres.FindBinDirectory() ?? throw new InvalidOperationException(LocalPostgres.MissingMessage);
        var dataDirectory = Path.Combine(root, "data");
        await LocalPostgres.InitializeAsync(bin, dataDirectory, Password.Value, context.IsRoot, cancellationToken);
        return LocalPostgres.Launch(bin, dataDirectory, port, context.IsRoot);
    }
}

/// <summary>A database on a PostgreSQL server, created when the server is first healthy.</summary>
public sealed class PostgresDatabaseResource : SetupResource, IResourceWithConnectionString
{
    public PostgresDatabaseResource(string name, PostgresServerResource server, string databaseName) : base(name)
    {
        Server = server;
        DatabaseName = databaseName;
        WaitsFor.Add(server);
        HealthProbe = cancellationToken => HealthProbes.PostgresAsync(GetConnectionString(), cancellationToken);
    }

    public override string Kind => "database";

    public PostgresServerResource Server { get; }

    public string DatabaseName { get; }

    /// <summary>Set from <c>ConnectionStrings__{name}</c>: the database exists elsewhere and is not created.</summary>
    public string? ExternalConnectionString { get; set; }

    public string GetConnectionString() =>
        ExternalConnectionString
        ?? (Server.ExternalConnectionString is { } server
            ? new NpgsqlConnectionStringBuilder(server) { Database = DatabaseName }.ConnectionString
            : LocalPostgres.ConnectionString(Server.GetEndpoint("tcp").Port, Server.Password.Value, DatabaseName));

    public override async Task RunAsync(HostingContext context, CancellationToken cancellationToken)
    {
        if (ExternalConnectionString is not null)
        {
            return;
        }
        await using var dataSource = NpgsqlDataSource.Create(Server.GetConnectionString());
        await using var exists = dataSource.CreateCommand("SELECT 1 FROM pg_database WHERE datname = $1");
        exists.Parameters.Add(new() { Value = DatabaseName });
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            // CREATE DATABASE takes no parameters; the name is quoted as an identifier.
            await using var create = dataSource.CreateCommand($"CREATE DATABASE \"{DatabaseName.Replace("\"", "\"\"")}\"");
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}

/// <summary>A resource that is a one-off action (create a database) rather than a process.</summary>
public abstract class SetupResource(string name) : Resource(name)
{
    public abstract Task RunAsync(HostingContext context, CancellationToken cancellationToken);

    public Func<CancellationToken, Task<bool>>? HealthProbe { get; set; }
}

internal static class HealthProbes
{
    public static async Task<bool> PostgresAsync(string connectionString, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Timeout = 2, Pooling = false };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var result = await new NpgsqlHealthCheck(dataSource).CheckHealthAsync(new HealthCheckContext(), cancellationToken);
        return result.Status == HealthStatus.Healthy;
    }

    public static async Task<bool> RedisAsync(string connectionString, CancellationToken cancellationToken)
    {
        try
        {
            var options = StackExchange.Redis.ConfigurationOptions.Parse(connectionString);
            options.ConnectTimeout = 2_000;
            options.ConnectRetry = 0;
            await using var client = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(options).WaitAsync(cancellationToken);
            await client.GetDatabase().PingAsync().WaitAsync(cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            return false;
        }
    }

    public static async Task<bool> HttpAsync(HttpClient client, string url, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await client.GetAsync(url, cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
