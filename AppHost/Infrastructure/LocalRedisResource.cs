namespace AgentFleet.AppHost.Infrastructure;

/// <summary>Redis run from Debian's <c>redis-server</c> as an executable resource, password required, data under <c>.fleet/{name}</c>.</summary>
public sealed class LocalRedisResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public ParameterResource Password { get; } = password;

    public EndpointReference Endpoint => new(this, EndpointName);

    // The form Aspire's Redis resource gives: host:port,password=...
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{Endpoint.Property(EndpointProperty.Host)}:{Endpoint.Property(EndpointProperty.Port)},password={Password}");
}
