using AgentFleet.AppHost.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace AgentFleet.AppHost.Infrastructure;

/// <summary>
/// PostgreSQL and Redis, three ways: an existing server named by <c>ConnectionStrings__{name}</c> (used, never started
/// or stopped); Aspire's containers where an engine answers, and always in the published manifest; otherwise Debian's
/// server binaries run as executable resources, their data under <c>.fleet/</c>.
/// </summary>
public static class DataStores
{
    /// <summary>
    /// The fleet's database (<c>fleetdb</c> on a PostgreSQL server named <c>postgres</c>) and Redis (<c>redis</c>). The
    /// container engine is asked at most once, and not at all when both are given by connection strings.
    /// </summary>
    public static (IResourceBuilder<IResourceWithConnectionString> Database, IResourceBuilder<IResourceWithConnectionString> Redis) AddFleetDataStores(
        this IDistributedApplicationBuilder builder, string fleetHome, SecretStore secrets)
    {
        var containers = new Lazy<bool>(() => builder.ExecutionContext.IsPublishMode || ContainerRuntime.IsAvailable(builder.Configuration));
        return (builder.AddFleetDatabase("postgres", "fleetdb", fleetHome, secrets, containers), builder.AddFleetRedis("redis", fleetHome, secrets, containers));
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddFleetDatabase(this IDistributedApplicationBuilder builder, string serverName, string databaseName, string fleetHome, SecretStore secrets, Lazy<bool> containers)
    {
        if (IsGiven(builder, databaseName))
        {
            return builder.AddConnectionString(databaseName);
        }
        var password = builder.AddGeneratedSecret($"{serverName}-password", secrets);
        if (containers.Value)
        {
            return builder.AddPostgres(serverName, password: password).WithDataVolume().AddDatabase(databaseName);
        }
        var server = builder.AddLocalPostgres(serverName, password, Path.Combine(fleetHome, serverName));
        return builder.AddLocalPostgresDatabase(databaseName, server);
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddFleetRedis(this IDistributedApplicationBuilder builder, string name, string fleetHome, SecretStore secrets, Lazy<bool> containers)
    {
        if (IsGiven(builder, name))
        {
            return builder.AddConnectionString(name);
        }
        var password = builder.AddGeneratedSecret($"{name}-password", secrets);
        return containers.Value
            ? builder.AddRedis(name, password: password).WithDataVolume()
            : builder.AddLocalRedis(name, password, Path.Combine(fleetHome, name));
    }

    // An existing server, named by ConnectionStrings__{name}. Published, it is a secret parameter (its value is not
    // written out) and the deployment gets no server of its own.
    private static bool IsGiven(IDistributedApplicationBuilder builder, string name) =>
        builder.Configuration.GetConnectionString(name) is { Length: > 0 };

    /// <summary>A health check the resource is watched by, registered under <c>{name}_check</c>.</summary>
    private static IResourceBuilder<T> WithProtocolHealthCheck<T>(this IResourceBuilder<T> resource, IHealthCheck check) where T : IResource
    {
        var key = $"{resource.Resource.Name}_check";
        resource.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key, _ => check, failureStatus: null, tags: null));
        return resource.WithHealthCheck(key);
    }

    private static IResourceBuilder<LocalPostgresResource> AddLocalPostgres(this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> password, string root)
    {
        var bin = PostgresBinaries.FindBinDirectory() ?? throw new HostingConfigurationException(PostgresBinaries.MissingMessage);
        var data = Path.Combine(root, "data");
        var (command, prefix) = PostgresBinaries.AsServerUser(Path.Combine(bin, "postgres"), []);
        var server = new LocalPostgresResource(name, command, root, password.Resource);
        return builder.AddResource(server)
            .WithEndpoint(name: LocalPostgresResource.EndpointName, scheme: "tcp")
            .WithArgs(context =>
            {
                // One callback, so the port lands where the arguments put it.
                foreach (var argument in prefix.Concat(PostgresBinaries.ServerArguments(data, "{port}")))
                {
                    context.Args.Add(argument == "{port}" ? server.Endpoint.Property(EndpointProperty.TargetPort) : argument);
                }
            })
            .WithIconName("DatabaseMultiple")
            .WithProtocolHealthCheck(new PostgresQueryHealthCheck(ct => server.ConnectionStringExpression.GetValueAsync(ct)))
            .OnBeforeResourceStarted(async (resource, _, ct) =>
            {
                Directory.CreateDirectory(root);
                await PostgresBinaries.InitializeAsync(bin, data, await resource.Password.GetValueAsync(ct) ?? "", ct);
            });
    }

    private static IResourceBuilder<LocalPostgresDatabaseResource> AddLocalPostgresDatabase(this IDistributedApplicationBuilder builder, string name, IResourceBuilder<LocalPostgresResource> server)
    {
        var database = new LocalPostgresDatabaseResource(name, name, server.Resource);
        // Created once the server answers. Aspire hands a parent's state down only to the children of containers,
        // so the database says itself that it runs (its health check then starts) and when its server stopped.
        server.OnResourceReady(async (resource, e, ct) =>
        {
            await using var dataSource = NpgsqlDataSource.Create(await resource.ConnectionStringExpression.GetValueAsync(ct) + ";Database=postgres");
            await using var exists = dataSource.CreateCommand("SELECT 1 FROM pg_database WHERE datname = $1");
            exists.Parameters.Add(new() { Value = database.DatabaseName });
            if (await exists.ExecuteScalarAsync(ct) is null)
            {
                // CREATE DATABASE takes no parameters; the name is quoted as an identifier.
                await using var create = dataSource.CreateCommand($"CREATE DATABASE \"{database.DatabaseName.Replace("\"", "\"\"")}\"");
                await create.ExecuteNonQueryAsync(ct);
            }
            await e.Services.GetRequiredService<ResourceNotificationService>().PublishUpdateAsync(database, s => s with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
                StopTimeStamp = null,
            });
        });
        server.OnResourceStopped(async (_, e, _) =>
            await e.Services.GetRequiredService<ResourceNotificationService>().PublishUpdateAsync(database, s => s with
            {
                State = KnownResourceStates.Exited,
                StopTimeStamp = DateTime.UtcNow,
            }));
        return builder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot { ResourceType = "PostgresDatabase", State = KnownResourceStates.Waiting, Properties = [] })
            .WithIconName("Database")
            .WithProtocolHealthCheck(new PostgresQueryHealthCheck(ct => database.ConnectionStringExpression.GetValueAsync(ct)));
    }

    private static IResourceBuilder<LocalRedisResource> AddLocalRedis(this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> password, string root)
    {
        var command = Executables.Find("redis-server") ?? (File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server"
            : throw new HostingConfigurationException("redis-server was not found. Install it (apt-get install redis-server), or point the services at an existing server with ConnectionStrings__redis."));
        var data = Path.Combine(root, "data");
        var config = Path.Combine(data, "redis.conf");
        var redis = new LocalRedisResource(name, command, root, password.Resource);
        return builder.AddResource(redis)
            .WithEndpoint(name: LocalRedisResource.EndpointName, scheme: "tcp")
            // The password is in the config file only we can read, not on the command line where `ps` shows it.
            .WithArgs(config, "--port", redis.Endpoint.Property(EndpointProperty.TargetPort))
            .WithIconName("Database")
            .WithProtocolHealthCheck(new RedisPingHealthCheck(ct => redis.ConnectionStringExpression.GetValueAsync(ct)))
            .OnBeforeResourceStarted(async (resource, _, ct) =>
            {
                Directory.CreateDirectory(data);
                PrivateFile.Write(config, string.Join('\n',
                    "bind 127.0.0.1 -::1", $"dir \"{data}\"", $"requirepass {await resource.Password.GetValueAsync(ct)}", "daemonize no", "save 60 1", "appendonly no", ""));
            });
    }
}
