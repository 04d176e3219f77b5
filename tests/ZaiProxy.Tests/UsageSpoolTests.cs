using System.Net;
using AgentFleet.Testing;
using AgentFleet.ZaiProxy.Tests.Fixtures;
using Npgsql;
using static AgentFleet.ZaiProxy.Tests.Fixtures.ProxyClient;

namespace AgentFleet.ZaiProxy.Tests;

/// <summary>No model call goes unrecorded: rows the database cannot take wait on disk, across a restart, until it can.</summary>
public sealed class UsageSpoolTests(ProxyFixture fixture)
{
    [Fact]
    public async Task CallsDuringAMinuteWithoutPostgresAreAllRecordedOnceWhenItReturnsEvenAcrossAProxyRestart()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var postgres = await LocalServer.StartPostgresAsync(ct);
        var database = await postgres.CreateDatabaseAsync(ct);
        var spool = Path.Combine(Path.GetTempPath(), $"fleet-zai-spool-test-{Guid.NewGuid():N}");
        var settings = new Dictionary<string, string> { ["Upstream__Simulated"] = "true", ["ConnectionStrings__fleetdb"] = database, ["Usage__SpoolDirectory"] = spool };
        var (key, sessionId) = ProxyFixture.NewSessionKey();
        var calls = 0;
        var proxy = await fixture.StartProxyAsync(settings, ct);
        try
        {
            using var http = For(proxy, key);
            async Task CallAsync()
            {
                using var response = await PostAsync(http, Message("#sim tokens 3"), ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                calls++;
            }
            for (var i = 0; i < 5; i++)
            {
                await CallAsync();
            }
            await postgres.KillAsync();
            var outageEnds = DateTime.UtcNow.AddMinutes(1);
            while (DateTime.UtcNow < outageEnds)
            {
                await CallAsync();
                await Task.Delay(250, ct);
            }
        }
        finally
        {
            // Stopped while the database is still away: what it holds goes to the spool, not the log.
            await proxy.DisposeAsync();
        }
        Assert.True(Directory.EnumerateFiles(spool).Any(f => new FileInfo(f).Length > 0), "nothing was spooled");

        await postgres.RestartAsync(ct);
        await using var restarted = await fixture.StartProxyAsync(settings, ct);
        await using var data = NpgsqlDataSource.Create(database);
        long stored = 0, distinct = 0, outputTokens = 0;
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline && stored < calls; await Task.Delay(200, ct))
        {
            await using var command = data.CreateCommand("SELECT count(*), count(DISTINCT record_id), coalesce(sum(output_tokens), 0) FROM usage_records WHERE session_id = $1");
            command.Parameters.AddWithValue(sessionId);
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            (stored, distinct, outputTokens) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }
        Assert.True(calls > 200, $"{calls} calls");
        Assert.Equal(calls, stored);
        Assert.Equal(calls, distinct);
        Assert.Equal(3L * calls, outputTokens);
        Assert.False(Directory.EnumerateFiles(spool).Any(f => new FileInfo(f).Length > 0), "the spool was not emptied");
    }
}
