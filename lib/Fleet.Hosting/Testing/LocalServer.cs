using AgentFleet.Hosting.ApplicationModel;
using AgentFleet.Hosting.Console;
using AgentFleet.Hosting.Infrastructure;
using AgentFleet.Hosting.Orchestration;
using Npgsql;

namespace AgentFleet.Hosting.Testing;

/// <summary>
/// A real PostgreSQL or Redis server for a test fixture, started the way the AppHost starts it, in a
/// directory of its own on a free loopback port, and stopped (with its whole process group) on dispose.
/// </summary>
public sealed class LocalServer : IAsyncDisposable
{
    private readonly string _root;
    private readonly LaunchSpec _spec;
    private readonly Func<CancellationToken, Task<bool>> _probe;
    private ProcessGroup? _group;

    private LocalServer(LaunchSpec spec, Func<CancellationToken, Task<bool>> probe, string root, int port, string password, string connectionString)
    {
        _spec = spec;
        _probe = probe;
        _root = root;
        Port = port;
        Password = password;
        ConnectionString = connectionString;
    }

    public int Port { get; }
    public string Password { get; }
    public int Pid => _group!.Pid;

    /// <summary>For PostgreSQL, to the <c>postgres</c> database; for Redis, in Aspire's <c>host:port,password=</c> form.</summary>
    public string ConnectionString { get; }

    public static async Task<LocalServer> StartPostgresAsync(CancellationToken cancellationToken)
    {
        var bin = LocalPostgres.FindBinDirectory() ?? throw new InvalidOperationException(LocalPostgres.MissingMessage);
        var root = NewRoot("postgres");
        var password = Guid.NewGuid().ToString("N");
        var asPostgresUser = Environment.UserName == "root";
        var data = Path.Combine(root, "data");
        await LocalPostgres.InitializeAsync(bin, data, password, asPostgresUser, cancellationToken);
        var port = PortAllocator.GetFreePort();
        var connectionString = LocalPostgres.ConnectionString(port, password, "postgres");
        return await StartAsync(LocalPostgres.Launch(bin, data, port, asPostgresUser), root, port, password, connectionString,
            ct => HealthProbes.PostgresAsync(connectionString, ct), cancellationToken);
    }

    /// <summary>Redis on a free port; <paramref name="durable"/> writes every command to its append-only file before answering.</summary>
    public static async Task<LocalServer> StartRedisAsync(CancellationToken cancellationToken, bool durable = false)
    {
        var server = LocalRedis.FindServer() ?? throw new InvalidOperationException(LocalRedis.MissingMessage);
        var root = NewRoot("redis");
        var password = Guid.NewGuid().ToString("N");
        var port = PortAllocator.GetFreePort();
        var connectionString = LocalRedis.ConnectionString(port, password);
        return await StartAsync(LocalRedis.Launch(server, Path.Combine(root, "data"), port, password, durable), root, port, password, connectionString,
            ct => HealthProbes.RedisAsync(connectionString, ct), cancellationToken);
    }

    /// <summary>
    /// PostgreSQL only: a new, empty database for one test (so tests never see each other's tables); returns its
    /// connection string.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken)
    {
        var name = "test_" + Guid.NewGuid().ToString("N");
        await using var dataSource = NpgsqlDataSource.Create(ConnectionString);
        await using var command = dataSource.CreateCommand($"CREATE DATABASE {name}");
        await command.ExecuteNonQueryAsync(cancellationToken);
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Stops the server gracefully, SIGKILL after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace) => await _group!.StopAsync(grace);

    /// <summary>Kills the server outright (a crash, as clients see it).</summary>
    public async Task KillAsync()
    {
        _group!.Signal(Signals.SIGKILL);
        await _group.WaitForExitAsync();
    }

    /// <summary>Starts the server again on the same port with the same data, and waits until it answers.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        _group?.Dispose();
        await LaunchAsync(cancellationToken);
    }

    /// <summary>Starts the process and waits until it answers its probe.</summary>
    private async Task LaunchAsync(CancellationToken cancellationToken)
    {
        _group = ProcessGroup.Start(_spec, _spec.Environment, $"{Path.GetFileName(_spec.FileName)}:{Port}", Quiet);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await SafeProbeAsync(_probe, cancellationToken))
        {
            if (_group.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"{_spec.FileName} did not become ready on port {Port}.");
            }
            await Task.Delay(50, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_group is not null)
        {
            await _group.StopAsync(TimeSpan.FromSeconds(10));
            _group.Dispose();
        }
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task<LocalServer> StartAsync(LaunchSpec spec, string root, int port, string password, string connectionString,
        Func<CancellationToken, Task<bool>> probe, CancellationToken cancellationToken)
    {
        var server = new LocalServer(spec, probe, root, port, password, connectionString);
        try
        {
            await server.LaunchAsync(cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    private static async Task<bool> SafeProbeAsync(Func<CancellationToken, Task<bool>> probe, CancellationToken cancellationToken)
    {
        try
        {
            return await probe(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return false;
        }
    }

    private static string NewRoot(string kind)
    {
        var root = Path.Combine(Path.GetTempPath(), $"fleet-test-{kind}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        return root;
    }

    /// <summary>Server output is not test output: only failures to start are reported.</summary>
    private static readonly ConsoleLog Quiet = new(silent: true);
}
