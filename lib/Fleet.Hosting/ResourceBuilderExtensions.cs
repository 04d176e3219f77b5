using AgentFleet.Hosting.ApplicationModel;

namespace AgentFleet.Hosting;

/// <summary>The Aspire app-model verbs: Add*, WithReference, WaitFor, WithHttpHealthCheck, ...</summary>
public static class ResourceBuilderExtensions
{
    /// <summary>
    /// A PostgreSQL server; its superuser password is generated once and kept under .fleet/.
    /// <c>ConnectionStrings__{name}</c> in the environment names an existing server instead.
    /// </summary>
    public static IResourceBuilder<PostgresServerResource> AddPostgres(this DistributedApplicationBuilder builder, string name)
    {
        var server = new PostgresServerResource(name, builder.AddSecret($"{name}-password"));
        if (ExistingConnectionString(name) is { } existing)
        {
            server.UseExternal(existing);
        }
        return builder.AddResource(server);
    }

    /// <summary>A database, created on first start; <c>ConnectionStrings__{name}</c> names an existing one (and so its server).</summary>
    public static IResourceBuilder<PostgresDatabaseResource> AddDatabase(this IResourceBuilder<PostgresServerResource> server, string name, string? databaseName = null)
    {
        var database = new PostgresDatabaseResource(name, server.Resource, databaseName ?? name);
        if (ExistingConnectionString(name) is { } existing)
        {
            database.ExternalConnectionString = existing;
            if (server.Resource.ExternalConnectionString is null)
            {
                server.Resource.UseExternal(existing);
            }
        }
        return server.ApplicationBuilder.AddResource(database);
    }

    /// <summary>A Redis server; <c>ConnectionStrings__{name}</c> in the environment names an existing one instead.</summary>
    public static IResourceBuilder<RedisResource> AddRedis(this DistributedApplicationBuilder builder, string name)
    {
        var redis = new RedisResource(name, builder.AddSecret($"{name}-password"));
        if (ExistingConnectionString(name) is { } existing)
        {
            redis.UseExternal(existing);
        }
        return builder.AddResource(redis);
    }

    private static string? ExistingConnectionString(string name) =>
        Environment.GetEnvironmentVariable($"ConnectionStrings__{name}") is { Length: > 0 } value ? value : null;

    /// <summary>A project of the solution, with an <c>http</c> endpoint on a free loopback port.</summary>
    public static IResourceBuilder<ProjectResource> AddProject<TProject>(this DistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new()
    {
        var project = new ProjectResource(name, new TProject());
        project.Endpoints.Add(new Endpoint("http", "http", null));
        return builder.AddResource(project);
    }

    public static IResourceBuilder<ExecutableResource> AddExecutable(this DistributedApplicationBuilder builder, string name, string command, string workingDirectory, params string[] arguments) =>
        builder.AddResource(new ExecutableResource(name, command, workingDirectory, arguments));

    /// <summary>
    /// A parameter from the environment (<c>management-api-key</c> → <c>MANAGEMENT_API_KEY</c>). A missing
    /// secret is generated once, kept under .fleet/, and printed the first time.
    /// </summary>
    public static IResourceBuilder<ParameterResource> AddParameter(this DistributedApplicationBuilder builder, string name, bool secret = false) =>
        builder.AddResource(new ParameterResource(name, () =>
        {
            var fromEnvironment = Environment.GetEnvironmentVariable(ParameterResource.EnvironmentName(name));
            if (!string.IsNullOrEmpty(fromEnvironment))
            {
                return fromEnvironment;
            }
            if (!secret)
            {
                throw new InvalidOperationException($"Parameter '{name}' is not set: set {ParameterResource.EnvironmentName(name)}.");
            }
            var value = builder.Secrets.GetOrCreate(name, out var generated);
            if (generated)
            {
                builder.Console.Announce($"Generated {ParameterResource.EnvironmentName(name)} (kept in {builder.Secrets.Path}): {value}");
            }
            return value;
        }, secret));

    /// <summary>Gives the resource <c>ConnectionStrings__{source}</c>.</summary>
    public static IResourceBuilder<T> WithReference<T, TSource>(this IResourceBuilder<T> builder, IResourceBuilder<TSource> source)
        where T : Resource where TSource : Resource, IResourceWithConnectionString
    {
        builder.Resource.EnvironmentCallbacks.Add(env => env[$"ConnectionStrings__{source.Resource.Name}"] = source.Resource.GetConnectionString());
        return builder;
    }

    /// <summary>Gives the resource <c>services__{project}__{endpoint}__0</c> for each of the project's endpoints.</summary>
    public static IResourceBuilder<T> WithReference<T>(this IResourceBuilder<T> builder, IResourceBuilder<ProjectResource> project) where T : Resource
    {
        builder.Resource.EnvironmentCallbacks.Add(env =>
        {
            foreach (var endpoint in project.Resource.Endpoints)
            {
                env[$"services__{project.Resource.Name}__{endpoint.Name}__0"] = endpoint.Url;
            }
        });
        return builder;
    }

    /// <summary>Starts the resource only once <paramref name="dependency"/> is healthy.</summary>
    public static IResourceBuilder<T> WaitFor<T>(this IResourceBuilder<T> builder, IResourceBuilder<Resource> dependency) where T : Resource
    {
        builder.Resource.WaitsFor.Add(dependency.Resource);
        return builder;
    }

    /// <summary>Healthy when <c>GET {path}</c> on the endpoint answers 2xx.</summary>
    public static IResourceBuilder<T> WithHttpHealthCheck<T>(this IResourceBuilder<T> builder, string path = "/health", string endpointName = "http") where T : ProcessResource
    {
        var endpoint = builder.Resource.GetEndpoint(endpointName);
        builder.Resource.HealthProbe = cancellationToken => HealthProbes.HttpAsync(builder.ApplicationBuilder.ProbeClient, endpoint.Url + path, cancellationToken);
        return builder;
    }

    /// <summary>Adds an endpoint, or fixes the port of an existing one (null: a free port).</summary>
    public static IResourceBuilder<T> WithEndpoint<T>(this IResourceBuilder<T> builder, string name, string scheme = "http", int? port = null, bool http2Only = false) where T : Resource
    {
        builder.Resource.Endpoints.RemoveAll(e => e.Name == name);
        builder.Resource.Endpoints.Add(new Endpoint(name, scheme, port, http2Only));
        return builder;
    }

    public static IResourceBuilder<T> WithHttpEndpoint<T>(this IResourceBuilder<T> builder, int? port = null, string name = "http") where T : Resource =>
        builder.WithEndpoint(name, "http", port);

    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, string value) where T : Resource
    {
        builder.Resource.EnvironmentCallbacks.Add(env => env[name] = value);
        return builder;
    }

    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, IResourceBuilder<ParameterResource> parameter) where T : Resource
    {
        builder.Resource.EnvironmentCallbacks.Add(env => env[name] = parameter.Resource.Value);
        return builder;
    }

    /// <summary>Passes the AppHost's own variables that start with <paramref name="prefix"/> (for example <c>ComfyUI__</c>) to the resource.</summary>
    public static IResourceBuilder<T> WithEnvironmentFromHost<T>(this IResourceBuilder<T> builder, string prefix) where T : Resource
    {
        builder.Resource.EnvironmentCallbacks.Add(env =>
        {
            foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
            {
                if (variable.Key is string key && key.StartsWith(prefix, StringComparison.Ordinal) && variable.Value is string value)
                {
                    env[key] = value;
                }
            }
        });
        return builder;
    }

    private static ParameterResource AddSecret(this DistributedApplicationBuilder builder, string name) =>
        new(name, () => builder.Secrets.GetOrCreate(name, out _), secret: true);
}
