using AgentFleet.Testing;

[assembly: AssemblyFixture(typeof(AgentFleet.ComfyBridge.Tests.Fixtures.PostgresFixture))]

namespace AgentFleet.ComfyBridge.Tests.Fixtures;

/// <summary>One real PostgreSQL server for the assembly; each bridge gets a database of its own on it.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public LocalServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await LocalServer.StartPostgresAsync(CancellationToken.None);

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
