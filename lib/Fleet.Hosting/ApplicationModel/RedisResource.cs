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

    public override Task<LaunchSpec> PrepareAsync(HostingContext context, CancellationToken cancellationToken)
    {
        var port = GetEndpoint("tcp").Port;
        var root = Path.Combine(context.FleetHome, Name);
        if (context.UseContainers)
        {
            var data = Path.Combine(root, "container-data");
            Directory.CreateDirectory(data);
            var arguments = ContainerRuntime.RunArguments($"fleet-{Name}-{port}", "docker.io/library/redis:7", port, 6379, data, "/data",
                new Dictionary<string, string> { ["REDIS_PASSWORD"] = Password.Value },
                ["sh", "-c", "exec redis-server --requirepass \"$REDIS_PASSWORD\" --save '60 1'"]);
            return Task.FromResult(new LaunchSpec("docker", arguments, root));
        }
        var server = LocalRedis.FindServer() ?? throw new InvalidOperationException(LocalRedis.MissingMessage);
        return Task.FromResult(LocalRedis.Launch(server, Path.Combine(root, "data"), port, Password.Value));
    }
}
