using AgentFleet.Hosting.Testing;

namespace AgentFleet.Redis.Tests.Fixtures;

/// <summary>A real redis-server for a test class, on a free loopback port.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    public LocalServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await LocalServer.StartRedisAsync(CancellationToken.None);

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A key no other test uses.</summary>
    public static string Key(string name) => $"{name}:{Guid.NewGuid():N}";
}
