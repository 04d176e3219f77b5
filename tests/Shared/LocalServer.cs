using AgentFleet.AppHost.Configuration;
using AgentFleet.AppHost.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace AgentFleet.Testing;

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
        var bin = PostgresBinaries.FindBinDirectory() ?? throw new InvalidOperationException(PostgresBinaries.MissingMessage);
        var root = NewRoot("postgres");
        var password = Guid.NewGuid().ToString("N");
        var data = Path.Combine(root, "data");
        await PostgresBinaries.InitializeAsync(bin, data, password, cancellationToken);
        var port = PortAllocator.GetFreePort();
        var connectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Password={password};Database=postgres";
        var (command, arguments) = PostgresBinaries.AsServerUser(Path.Combine(bin, "postgres"), PostgresBinaries.ServerArguments(data, port.ToString()));
        // SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to leave.
        var launch = new LaunchSpec(command, arguments, data) { StopSignal = Signals.SIGINT };
        return await StartAsync(launch, root, port, password, connectionString, ct => AnswersAsync(new PostgresQueryHealthCheck(_ => ValueTask.FromResult<string?>(connectionString)), ct), cancellationToken);
    }

    /// <summary>Redis on a free port; <paramref name="durable"/> writes every command to its append-only file before answering.</summary>
    public static async Task<LocalServer> StartRedisAsync(CancellationToken cancellationToken, bool durable = false)
    {
        var server = AgentFleet.AppHost.Infrastructure.Executables.Find("redis-server")
            ?? throw new InvalidOperationException("redis-server was not found. Install it (apt-get install redis-server).");
        var root = NewRoot("redis");
        var password = Guid.NewGuid().ToString("N");
        var port = PortAllocator.GetFreePort();
        var data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        // The password goes in a file only we can read, not on the command line where `ps` shows it.
        var config = Path.Combine(data, "redis.conf");
        PrivateFile.Write(config, string.Join('\n',
            $"port {port}", "bind 127.0.0.1", $"dir \"{data}\"", $"requirepass {password}",
            "daemonize no", "save 60 1", durable ? "appendonly yes\nappendfsync always" : "appendonly no", ""));
        var connectionString = $"127.0.0.1:{port},password={password}";
        return await StartAsync(new LaunchSpec(server, [config], data), root, port, password, connectionString,
            ct => AnswersAsync(new RedisPingHealthCheck(_ => ValueTask.FromResult<string?>(connectionString)), ct), cancellationToken);
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
        _group = ProcessGroup.Start(_spec, _spec.Environment);
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

    /// <summary>The AppHost's own check of the server: a query for PostgreSQL, AUTH and PING for Redis.</summary>
    private static async Task<bool> AnswersAsync(IHealthCheck check, CancellationToken cancellationToken) =>
        (await check.CheckHealthAsync(new HealthCheckContext(), cancellationToken)).Status == HealthStatus.Healthy;

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
}
