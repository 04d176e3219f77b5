using System.Net;
using AgentFleet.Testing;
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

        await using (var fleet = await FleetApp.StartAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings:fleetdb"] = fleetDb,
            ["ConnectionStrings:redis"] = redis.ConnectionString,
        }, ct))
        {
            var up = await ResourceSnapshot.WaitForAsync(fleet.FleetHome, ResourceSnapshot.AllUp, TimeSpan.FromMinutes(3), "every resource is up");

            // No server of our own: fleetdb and redis are the given connection strings, with no process behind them.
            Assert.DoesNotContain(up, r => r.Name == "postgres");
            Assert.All(up.Where(r => r.Name is "fleetdb" or "redis"), r =>
            {
                Assert.Null(r.Pid);
                Assert.Empty(r.Endpoints);
            });
            using var http = new HttpClient();
            using var health = await http.GetAsync(new Uri(fleet.Endpoint("management-api"), "/health"), ct);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            await using var dataSource = NpgsqlDataSource.Create(fleetDb);
            await using var migrated = dataSource.CreateCommand("SELECT count(*) FROM schema_migrations WHERE component = 'management-api'");
            // Every one of ManagementApi's migrations ran on the server it was given.
            var migrations = Directory.GetFiles(Path.Combine(Repository.Root(), "services", "ManagementApi", "Migrations"), "*.sql").Length;
            Assert.Equal((long)migrations, await migrated.ExecuteScalarAsync(ct));
        }

        Assert.True(ProcessTable.IsAlive(postgres.Pid), "the existing PostgreSQL was stopped");
        Assert.True(ProcessTable.IsAlive(redis.Pid), "the existing Redis was stopped");
    }
}
