using AgentFleet.ServiceDefaults.Data;
using AgentFleet.ServiceDefaults.Tests.Fixtures;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentFleet.ServiceDefaults.Tests;

/// <summary>Runs this assembly's own Migrations/*.sql, which insert rows we can count.</summary>
public sealed class MigrationRunnerTests(InfrastructureFixture infrastructure)
{
    [Fact]
    public async Task ThreeHostsStartingAtOnceApplyEachMigrationExactlyOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = await infrastructure.CreateDatabaseAsync(ct);
        var hosts = Enumerable.Range(0, 3).Select(_ =>
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Configuration["ConnectionStrings:fleetdb"] = database;
            builder.AddFleetDatabase("fleetdb");
            builder.AddMigrations("probe", typeof(MigrationRunnerTests).Assembly);
            return builder.Build();
        }).ToList();

        using var go = new ManualResetEventSlim();
        var starts = hosts.Select(host => Task.Run(async () => { go.Wait(ct); await host.StartAsync(ct); }, ct)).ToList();
        go.Set();
        await Task.WhenAll(starts);

        await using var dataSource = NpgsqlDataSource.Create(database);
        Assert.Equal(["first", "second"], await ReadColumnAsync(dataSource, "SELECT note FROM migration_probe ORDER BY id", ct));
        Assert.Equal(["1", "2"], await ReadColumnAsync(dataSource, "SELECT version::text FROM schema_migrations WHERE component = 'probe' ORDER BY version", ct));
        foreach (var host in hosts)
        {
            await host.StopAsync(ct);
            host.Dispose();
        }
    }

    [Fact]
    public async Task AnAppliedMigrationThatChangedStopsTheStartWithAClearMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dataSource = NpgsqlDataSource.Create(await infrastructure.CreateDatabaseAsync(ct));
        var scripts = MigrationScript.FromAssembly(typeof(MigrationRunnerTests).Assembly);
        Assert.Equal([1, 2], await new MigrationRunner(dataSource, "probe", scripts, NullLogger<MigrationRunner>.Instance).ApplyAsync(ct));

        var edited = scripts.Select(s => s.Version == 2 ? s with { Sql = "INSERT INTO migration_probe (note) VALUES ('edited');" } : s).ToList();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            new MigrationRunner(dataSource, "probe", edited, NullLogger<MigrationRunner>.Instance).ApplyAsync(ct));

        Assert.Contains("probe 0002_probe_row changed after it was applied", error.Message);
        Assert.Equal(["first", "second"], await ReadColumnAsync(dataSource, "SELECT note FROM migration_probe ORDER BY id", ct));
    }

    private static async Task<List<string>> ReadColumnAsync(NpgsqlDataSource dataSource, string sql, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var values = new List<string>();
        while (await reader.ReadAsync(ct))
        {
            values.Add(reader.GetString(0));
        }
        return values;
    }
}
