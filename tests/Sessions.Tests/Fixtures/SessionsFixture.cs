using AgentFleet.Hosting.Testing;

[assembly: AssemblyFixture(typeof(AgentFleet.Sessions.Tests.Fixtures.SessionsFixture))]

namespace AgentFleet.Sessions.Tests.Fixtures;

/// <summary>Real PostgreSQL and Redis servers, and the model double, shared by the whole assembly.</summary>
public sealed class SessionsFixture : IAsyncLifetime
{
    public LocalServer Postgres { get; private set; } = null!;

    public LocalServer Redis { get; private set; } = null!;

    public AnthropicDouble Model { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var postgres = LocalServer.StartPostgresAsync(CancellationToken.None);
        var redis = LocalServer.StartRedisAsync(CancellationToken.None);
        Model = await AnthropicDouble.StartAsync();
        Postgres = await postgres;
        Redis = await redis;
    }

    public Task<string> CreateDatabaseAsync(CancellationToken cancellationToken) => Postgres.CreateDatabaseAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Model.DisposeAsync();
        await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}
