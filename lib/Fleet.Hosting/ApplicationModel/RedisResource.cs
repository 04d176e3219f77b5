using AgentFleet.Hosting.Infrastructure;

namespace AgentFleet.Hosting.ApplicationModel;

/// <summary>A Redis server: a container where Docker answers, otherwise the installed binary.</summary>
public sealed class RedisResource : ProcessResource, IResourceWithConnectionString
{
    public RedisResource(string name, ParameterResource password) : base(name)
    {
        Password = password;
        Endpoints.Add(new Endpoint("tcp", "tcp", null));
        HealthProbe = cancellationToken => HealthProbes.RedisAsync(GetConnectionString(), cancellationToken);
    }

    public override string Kind => "redis";

    public ParameterResource Password { get; }

    public string GetConnectionString() =>
        ExternalConnectionString ?? LocalRedis.ConnectionString(GetEndpoint("tcp").Port, Password.Value);

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
            var arguments = ContainerRuntime.RunArguments(container, "docker.io/library/redis:7", port, 6379, data, "/data", ["REDIS_PASSWORD"],
                ["sh", "-c", "exec redis-server --requirepass \"$REDIS_PASSWORD\" --save '60 1'"]);
            return new LaunchSpec("docker", arguments, root) { Environment = { ["REDIS_PASSWORD"] = Password.Value } };
        }
        var server = LocalRedis.FindServer() ?? throw new InvalidOperationException(LocalRedis.MissingMessage);
        return LocalRedis.Launch(server, Path.Combine(root, "data"), port, Password.Value);
    }
}
