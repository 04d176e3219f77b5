using AgentFleet.Testing;
using Npgsql;

[assembly: AssemblyFixture(typeof(AgentFleet.Sessions.Tests.Fixtures.SessionsFixture))]

namespace AgentFleet.Sessions.Tests.Fixtures;

/// <summary>
/// Real PostgreSQL and Redis servers, and ZaiProxy answering from its simulated model (steered by <c>#sim</c>
/// lines in a task), shared by the whole assembly. Claude sessions reach the model through it with their
/// per-session keys, as they do under the AppHost.
/// </summary>
public sealed class SessionsFixture : IAsyncLifetime
{
    public const string SessionKeySecret = "test-session-key-secret";

    public LocalServer Postgres { get; private set; } = null!;

    public LocalServer Redis { get; private set; } = null!;

    public ServiceProcess Proxy { get; private set; } = null!;

    private string _proxyDatabase = null!;

    public async ValueTask InitializeAsync()
    {
        var postgres = LocalServer.StartPostgresAsync(CancellationToken.None);
        Redis = await LocalServer.StartRedisAsync(CancellationToken.None);
        Postgres = await postgres;
        _proxyDatabase = await Postgres.CreateDatabaseAsync(CancellationToken.None);
        ProxyGrpc = $"http://127.0.0.1:{PortAllocator.GetFreePort()}";
        Proxy = await ServiceProcess.StartAsync(typeof(SessionsFixture).Assembly, "ZaiProxy", new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__http__Url"] = $"http://127.0.0.1:{PortAllocator.GetFreePort()}",
            // ManagementApi asks it for usage reports and keys' spend over gRPC, signed as every service call is.
            ["Kestrel__Endpoints__grpc__Url"] = ProxyGrpc,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["Identity__Secret"] = Fleet.IdentitySecret,
            ["ConnectionStrings__fleetdb"] = _proxyDatabase,
            ["Upstream__Simulated"] = "true",
            ["SessionKeys__Secret"] = SessionKeySecret,
            ["Usage__SpoolDirectory"] = Path.Combine(Path.GetTempPath(), $"fleet-sessions-zai-spool-{Guid.NewGuid():N}"),
        }, CancellationToken.None);
    }

    /// <summary>ZaiProxy's gRPC endpoint (usage reports).</summary>
    public string ProxyGrpc { get; private set; } = null!;

    public Task<string> CreateDatabaseAsync(CancellationToken cancellationToken) => Postgres.CreateDatabaseAsync(cancellationToken);

    /// <summary>The key ids of the model calls ZaiProxy recorded for a session, once at least <paramref name="expected"/> are in (rows are written in batches).</summary>
    public async Task<List<string>> ProxyUsageAsync(Guid sessionId, int expected, CancellationToken cancellationToken)
    {
        await using var database = NpgsqlDataSource.Create(_proxyDatabase);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            await using var command = database.CreateCommand("SELECT key_id FROM usage_records WHERE session_id = $1");
            command.Parameters.AddWithValue(sessionId);
            var keys = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    keys.Add(reader.GetString(0));
                }
            }
            if (keys.Count >= expected || DateTime.UtcNow > deadline)
            {
                return keys;
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}
