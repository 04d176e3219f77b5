using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.Sessions.Tests.Fixtures;

namespace AgentFleet.Sessions.Tests;

/// <summary>
/// Two SessionRunners (and two ManagementApis) on one PostgreSQL and Redis, as a StatefulSet runs them: each session
/// belongs to one runner, new ones go to the least-loaded, and either API reaches any session through its owner.
/// </summary>
public sealed class RunnerReplicaTests(SessionsFixture infrastructure)
{
    // Quick heartbeats and a short lease, so a killed runner is taken for gone within the test.
    private static Dictionary<string, string> QuickHeartbeat => new() { ["SessionRunner__HeartbeatSeconds"] = "0.5", ["SessionRunner__LeaseSeconds"] = "2" };

    [Fact]
    public async Task SessionsSpreadAcrossBothRunnersAndEitherManagementApiReachesAndStopsThem()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct, runnerSettings: QuickHeartbeat);
        await fleet.AddRunnerAsync("runner-b", ct);
        using var apiB = await fleet.AddApiAsync(ct);
        await WaitForRunnersAsync(fleet.Http, 2, ct);

        HttpClient[] apis = [fleet.Http, apiB];
        var sessions = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            sessions.Add(await Fleet.StartSessionAsync(apis[i % 2], new { agent = "command", command = new[] { "sh", "-c", $"echo hello-{i}; sleep 60" }, task = $"wait {i}" }, ct));
        }
        var placed = new List<string>();
        for (var i = 0; i < sessions.Count; i++)
        {
            var running = await fleet.WaitForAsync(sessions[i], s => Fleet.StatusOf(s) == "running", ct);
            placed.Add(running["runnerId"]!.GetValue<string>());
        }
        Assert.Equal(["runner-a", "runner-b"], placed.Distinct().Order());

        for (var i = 0; i < sessions.Count; i++)
        {
            // Through the API that did not start it: the log lives on the owner's volume, so the owner answered.
            var other = apis[(i + 1) % 2];
            var deadline = DateTime.UtcNow.AddSeconds(30);
            JsonObject view;
            do
            {
                view = (await other.GetFromJsonAsync<JsonObject>($"/v1/sessions/{sessions[i]}", ct))!;
                Assert.True(DateTime.UtcNow < deadline, $"no log tail for {sessions[i]}: {view.ToJsonString()}");
            }
            while (view["logTail"]?.AsArray().Any(l => l!.GetValue<string>().Contains($"hello-{i}")) != true);

            using var stop = await other.DeleteAsync($"/v1/sessions/{sessions[i]}", ct);
            Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        }
        foreach (var id in sessions)
        {
            await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "stopped", ct);
        }
    }

    [Fact]
    public async Task KillingOneRunnerInterruptsOnlyItsOwnSessionsAndNewOnesGoToTheOther()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct, runnerSettings: QuickHeartbeat);
        var runnerB = await fleet.AddRunnerAsync("runner-b", ct);
        await WaitForRunnersAsync(fleet.Http, 2, ct);

        var byRunner = new Dictionary<string, List<string>> { ["runner-a"] = [], ["runner-b"] = [] };
        for (var i = 0; i < 4; i++)
        {
            var id = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "sleep", "60" }, task = $"wait {i}" }, ct);
            var running = await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "running", ct);
            byRunner[running["runnerId"]!.GetValue<string>()].Add(id);
        }
        Assert.All(byRunner.Values, ids => Assert.NotEmpty(ids));

        await runnerB.KillAsync();
        await WaitForRunnersAsync(fleet.Http, 1, ct);
        // While runner-b is gone: its sessions cannot be acted on, and nothing new is placed on it.
        using (var stop = await fleet.Http.DeleteAsync($"/v1/sessions/{byRunner["runner-b"][0]}", ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, stop.StatusCode);
            Assert.Equal("service_unavailable", (await stop.Content.ReadFromJsonAsync<JsonObject>(ct))!["code"]!.GetValue<string>());
        }
        var late = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "sleep", "60" }, task = "late" }, ct);
        Assert.Equal("runner-a", (await fleet.WaitForAsync(late, s => Fleet.StatusOf(s) == "running", ct))["runnerId"]!.GetValue<string>());

        await fleet.RestartRunnerAsync("runner-b", runnerB, ct);
        foreach (var id in byRunner["runner-b"])
        {
            await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "interrupted", ct);
        }
        foreach (var id in byRunner["runner-a"].Append(late))
        {
            Assert.Equal("running", Fleet.StatusOf(await fleet.GetSessionAsync(id, ct)));
        }
    }

    /// <summary>Waits until <c>/v1/status</c> lists exactly <paramref name="count"/> live runners.</summary>
    private static async Task WaitForRunnersAsync(HttpClient api, int count, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var status = (await api.GetFromJsonAsync<JsonObject>("/v1/status", ct))!;
            if (status["workers"]?["runners"]?.AsArray().Count == count)
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, $"expected {count} runners: {status["workers"]?.ToJsonString()}");
            await Task.Delay(200, ct);
        }
    }
}
