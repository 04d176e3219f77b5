using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentFleet.Testing;
using AgentFleet.ServiceDefaults.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Npgsql;

namespace AgentFleet.ServiceDefaults.Tests;

/// <summary>PostgreSQL going away is a 503 the caller can retry, from the first request on: never a 500.</summary>
public sealed class DatabaseUnavailableTests
{
    [Fact]
    public async Task EveryRequestWhileThePostgresServerIsDownIsA503WithRetryAfter()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var postgres = await LocalServer.StartPostgresAsync(ct);
        var database = await postgres.CreateDatabaseAsync(ct);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseTestServer();
        builder.Configuration["ConnectionStrings:fleetdb"] = database;
        builder.AddServiceDefaults();
        builder.AddFleetDatabase("fleetdb");
        await using var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGet("/count", async (NpgsqlDataSource data) => TypedResults.Ok((int)(await data.CreateCommand("SELECT 1").ExecuteScalarAsync(ct))!));
        await app.StartAsync(ct);
        using var client = app.GetTestClient();
        // Pooled connections are open when the server dies, as they are under load.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.GetAsync("/count", ct)));

        await postgres.KillAsync();
        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => client.GetAsync("/count", ct)));

        foreach (var answer in answers)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            Assert.Equal("5", answer.Headers.GetValues("Retry-After").Single());
            var problem = await answer.Content.ReadFromJsonAsync<JsonElement>(ct);
            Assert.Equal("database_unavailable", problem.GetProperty("code").GetString());
            Assert.DoesNotContain("Host=", problem.GetRawText());
        }

        await postgres.RestartAsync(ct);
        using var back = await client.GetAsync("/count", ct);
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
    }
}
