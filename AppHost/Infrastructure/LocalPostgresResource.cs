namespace AgentFleet.AppHost.Infrastructure;

/// <summary>
/// PostgreSQL run from Debian's binaries as an executable resource: a cluster under <c>.fleet/{name}/data</c>, made
/// by initdb on first start, served by the postmaster on loopback. As root it runs as the <c>postgres</c> user.
/// </summary>
public sealed class LocalPostgresResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public ParameterResource Password { get; } = password;

    public EndpointReference Endpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={Endpoint.Property(EndpointProperty.Host)};Port={Endpoint.Property(EndpointProperty.Port)};Username=postgres;Password={Password}");
}

/// <summary>A database on a <see cref="LocalPostgresResource"/>, created when the server is first ready.</summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresResource server)
    : Resource(name), IResourceWithParent<LocalPostgresResource>, IResourceWithConnectionString
{
    public LocalPostgresResource Parent { get; } = server;

    public string DatabaseName { get; } = databaseName;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}
