extern alias management;

using AgentFleet.ServiceDefaults.Data;
using AgentFleet.Sessions.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentFleet.Sessions.Tests;

/// <summary>
/// The sessions ManagementApi recorded before SessionRunner became their one owner move to the runner's table,
/// whichever of the two services migrates first after the upgrade, and nothing is left behind.
/// </summary>
public sealed class SessionsHandoverTests(SessionsFixture infrastructure)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TheSessionsManagementApiRecordedMoveToTheRunnerInEitherMigrationOrder(bool runnerFirst)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dataSource = NpgsqlDataSource.Create(await infrastructure.CreateDatabaseAsync(ct));
        var api = MigrationScript.FromAssembly(typeof(management::Program).Assembly);
        var runner = MigrationScript.FromAssembly(typeof(Program).Assembly);

        // Before the upgrade: ManagementApi's first two migrations and the runner's first two, and a session on record.
        await MigrateAsync(dataSource, "management-api", api.Take(2), ct);
        await MigrateAsync(dataSource, "session-runner", runner.Take(2), ct);
        var id = Guid.NewGuid();
        await using (var insert = dataSource.CreateCommand(
            "INSERT INTO sessions (id, agent, task, status, owner, created_by_key, budget_usd) VALUES (@id, 'claude', 'an old task', 'completed', 'alice', 'key-a', 1.5)"))
        {
            insert.Parameters.AddWithValue("id", id);
            await insert.ExecuteNonQueryAsync(ct);
        }

        // The upgrade, in one order or the other.
        foreach (var (component, scripts) in runnerFirst ? [("session-runner", runner), ("management-api", api)] : new[] { ("management-api", api), ("session-runner", runner) })
        {
            await MigrateAsync(dataSource, component, scripts, ct);
        }

        await using (var read = dataSource.CreateCommand("SELECT owner, created_by_key, agent, task, budget_usd FROM agent_sessions WHERE id = @id"))
        {
            read.Parameters.AddWithValue("id", id);
            await using var row = await read.ExecuteReaderAsync(ct);
            Assert.True(await row.ReadAsync(ct));
            Assert.Equal(("alice", "key-a", "claude", "an old task", 1.5m), (row.GetString(0), row.GetString(1), row.GetString(2), row.GetString(3), row.GetDecimal(4)));
        }
        await using var left = dataSource.CreateCommand("SELECT to_regclass('sessions') IS NULL AND to_regclass('sessions_handover') IS NULL");
        Assert.True((bool)(await left.ExecuteScalarAsync(ct))!);
    }

    private static Task MigrateAsync(NpgsqlDataSource dataSource, string component, IEnumerable<MigrationScript> scripts, CancellationToken ct) =>
        new MigrationRunner(dataSource, component, [.. scripts], NullLogger<MigrationRunner>.Instance).ApplyAsync(ct);
}
