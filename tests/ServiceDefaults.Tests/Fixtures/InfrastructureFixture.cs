using AgentFleet.Testing;

[assembly: AssemblyFixture(typeof(AgentFleet.ServiceDefaults.Tests.Fixtures.InfrastructureFixture))]

namespace AgentFleet.ServiceDefaults.Tests.Fixtures;

/// <summary>One real PostgreSQL and one real Redis server for the whole test assembly.</summary>
public sealed class InfrastructureFixture : IAsyncLifetime
{
    private LocalServer? _postgres;

    public LocalServer Postgres => _postgres ?? throw new InvalidOperationException("PostgreSQL has not started.");

    public LocalServer Redis { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var postgres = LocalServer.StartPostgresAsync(CancellationToken.None);
        var redis = LocalServer.StartRedisAsync(CancellationToken.None);
        _postgres = await postgres;
        Redis = await redis;
    }

    /// <summary>A database of its own for one test, so tests never see each other's tables.</summary>
    public Task<string> CreateDatabaseAsync(CancellationToken cancellationToken) => Postgres.CreateDatabaseAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }
    }
}
