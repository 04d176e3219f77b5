using AgentFleet.Hosting.Orchestration;
using AgentFleet.Hosting.Testing;
using AgentFleet.ServiceDefaults.Security;
using Microsoft.Extensions.Configuration;

[assembly: AssemblyFixture(typeof(AgentFleet.ZaiProxy.Tests.Fixtures.ProxyFixture))]

namespace AgentFleet.ZaiProxy.Tests.Fixtures;

/// <summary>
/// A real PostgreSQL, the HTTP test upstream, and ZaiProxy as real processes: <see cref="Simulated"/> answers from its
/// built-in simulated model; <see cref="Relayed"/> calls <see cref="Upstream"/> over HTTP with its own key.
/// </summary>
public sealed class ProxyFixture : IAsyncLifetime
{
    public const string Secret = "zai-proxy-test-secret";
    public const string UpstreamKey = "upstream-key-that-must-stay-inside";

    public LocalServer Postgres { get; private set; } = null!;

    public TestUpstream Upstream { get; private set; } = null!;

    public ServiceProcess Simulated { get; private set; } = null!;

    public ServiceProcess Relayed { get; private set; } = null!;

    public Uri RelayedGrpc { get; private set; } = null!;

    public string DatabaseConnectionString { get; private set; } = null!;

    /// <summary>A key SessionRunner would issue for a new session, and that session's id.</summary>
    public static (string Key, Guid SessionId) NewSessionKey()
    {
        var sessionId = Guid.NewGuid();
        var keys = new SessionKeys(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["SessionKeys:Secret"] = Secret }).Build());
        return (keys.Issue(sessionId.ToString()), sessionId);
    }

    public async ValueTask InitializeAsync()
    {
        Postgres = await LocalServer.StartPostgresAsync(CancellationToken.None);
        Upstream = await TestUpstream.StartAsync();
        DatabaseConnectionString = await Postgres.CreateDatabaseAsync(CancellationToken.None);
        Simulated = await StartProxyAsync(new() { ["Upstream__Simulated"] = "true" });
        var grpc = $"http://127.0.0.1:{PortAllocator.GetFreePort()}";
        Relayed = await StartProxyAsync(new()
        {
            ["Upstream__BaseUrl"] = Upstream.BaseUrl,
            ["Upstream__ApiKey"] = UpstreamKey,
            ["Upstream__RetryBaseDelayMs"] = "20",
            // Error-path tests must not trip the breaker for the others; its own test uses a proxy of its own.
            ["Upstream__BreakerFailures"] = "1000",
            ["Kestrel__Endpoints__grpc__Url"] = grpc,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
        });
        RelayedGrpc = new Uri(grpc);
    }

    /// <summary>A proxy process over the shared database with the test secret and the given settings.</summary>
    public async Task<ServiceProcess> StartProxyAsync(Dictionary<string, string> settings, CancellationToken cancellationToken = default)
    {
        var environment = new Dictionary<string, string>(settings)
        {
            ["Kestrel__Endpoints__http__Url"] = $"http://127.0.0.1:{PortAllocator.GetFreePort()}",
            ["ConnectionStrings__fleetdb"] = DatabaseConnectionString ?? throw new InvalidOperationException("not initialized"),
            ["SessionKeys__Secret"] = Secret,
        };
        return await ServiceProcess.StartAsync(typeof(ProxyFixture).Assembly, "ZaiProxy", environment, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await Relayed.DisposeAsync();
        await Simulated.DisposeAsync();
        await Upstream.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}
