using Grpc.Core;
using Grpc.Net.Client;
using AgentFleet.Testing;
using AgentFleet.ServiceDefaults.Security;
using Microsoft.Extensions.Configuration;
using Npgsql;

[assembly: AssemblyFixture(typeof(AgentFleet.ZaiProxy.Tests.Fixtures.ProxyFixture))]

namespace AgentFleet.ZaiProxy.Tests.Fixtures;

/// <summary>One row of usage_records as the tests read it.</summary>
public sealed record UsageRow(string KeyId, string Model, long Input, long Output, decimal Cost);

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

    /// <summary>A key SessionRunner would issue for a new session (started with <paramref name="payer"/>'s API key), and that session's id.</summary>
    public static (string Key, Guid SessionId) NewSessionKey(decimal? budgetUsd = null, PayingKey? payer = null)
    {
        var sessionId = Guid.NewGuid();
        var keys = new SessionKeys(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["SessionKeys:Secret"] = Secret }).Build());
        return (keys.Issue(sessionId.ToString(), budgetUsd, payer: payer), sessionId);
    }

    public const string IdentitySecret = "zai-test-identity-secret";

    /// <summary>A gRPC channel to the relayed proxy whose calls are signed as ManagementApi's would be.</summary>
    public GrpcChannel RelayedChannel() => GrpcChannel.ForAddress(RelayedGrpc,
        new GrpcChannelOptions { HttpHandler = new SignedIdentityHandler(new IdentitySigner(IdentitySecret), CallerIdentity.Service("management-api"), new SocketsHttpHandler()) });

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
            ["Identity__Secret"] = IdentitySecret,
            // A spool of its own, unless the test gives one (to restart a proxy over the spool it left).
            ["Usage__SpoolDirectory"] = Path.Combine(Path.GetTempPath(), $"fleet-zai-spool-{Guid.NewGuid():N}"),
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }
        return await ServiceProcess.StartAsync(typeof(ProxyFixture).Assembly, "ZaiProxy", environment, cancellationToken);
    }

    /// <summary>
    /// The session's rows in usage_records, once at least <paramref name="expected"/> are there (they are written off the
    /// request path, so they may land a moment after the reply), or whatever is there after five seconds.
    /// </summary>
    public async Task<List<UsageRow>> UsageRowsAsync(Guid sessionId, int expected, CancellationToken ct)
    {
        await using var database = NpgsqlDataSource.Create(DatabaseConnectionString);
        for (var attempt = 0; ; attempt++)
        {
            await using var command = database.CreateCommand("SELECT key_id, model, input_tokens, output_tokens, cost_usd FROM usage_records WHERE session_id = $1");
            command.Parameters.AddWithValue(sessionId);
            var rows = new List<UsageRow>();
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    rows.Add(new UsageRow(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetDecimal(4)));
                }
            }
            if (rows.Count >= expected || attempt == 50)
            {
                return rows;
            }
            await Task.Delay(100, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Relayed.DisposeAsync();
        await Simulated.DisposeAsync();
        await Upstream.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}
