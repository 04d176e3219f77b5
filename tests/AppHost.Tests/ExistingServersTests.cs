using System.Net;
using AgentFleet.Hosting.Orchestration;
using AgentFleet.Hosting.Testing;
using Npgsql;

namespace AgentFleet.AppHost.Tests;

public sealed class ExistingServersTests
{
    [Fact]
    public async Task ServersNamedByConnectionStringsAreUsedInsteadOfStartedAndOutliveTheAppHost()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var postgres = await LocalServer.StartPostgresAsync(ct);
        await using var redis = await LocalServer.StartRedisAsync(ct);
        await using (var dataSource = NpgsqlDataSource.Create(postgres.ConnectionString))
        {
            await using var create = dataSource.CreateCommand("CREATE DATABASE existing_fleet");
            await create.ExecuteNonQueryAsync(ct);
        }
        var fleetDb = new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Database = "existing_fleet" }.ConnectionString;

        await using var apphost = AppHostProcess.Start(new Dictionary<string, string>
        {
            ["ConnectionStrings__fleetdb"] = fleetDb,
            ["ConnectionStrings__redis"] = redis.ConnectionString,
        });
        var healthy = await apphost.WaitForAsync(s => s.All(r => r.Health == HealthStates.Healthy), TimeSpan.FromMinutes(3), "every resource is healthy");

        Assert.All(healthy.Where(r => r.Name is "postgres" or "redis"), r =>
        {
            Assert.Null(r.Pid);
            Assert.Empty(r.Endpoints);
        });
        using var http = new HttpClient();
        using var health = await http.GetAsync(healthy.Single(r => r.Name == "management-api").Endpoints["http"] + "/health", ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        await using (var dataSource = NpgsqlDataSource.Create(fleetDb))
        {
            await using var migrated = dataSource.CreateCommand("SELECT count(*) FROM schema_migrations WHERE component = 'management-api'");
            // 0001_sessions, 0002_api_keys and 0003_sessions_handover.
            Assert.Equal(3L, await migrated.ExecuteScalarAsync(ct));
        }

        Assert.Equal(0, Native.Kill(apphost.Pid, 15));
        Assert.True(await apphost.WaitForExitAsync(TimeSpan.FromSeconds(90)), apphost.Tail());
        Assert.True(ProcessTable.IsAlive(postgres.Pid), "the existing PostgreSQL was stopped");
        Assert.True(ProcessTable.IsAlive(redis.Pid), "the existing Redis was stopped");
    }
}
