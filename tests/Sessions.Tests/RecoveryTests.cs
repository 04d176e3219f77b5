using System.Net;
using System.Net.Http.Json;
using AgentFleet.Sessions.Tests.Fixtures;

namespace AgentFleet.Sessions.Tests;

/// <summary>The runner dies with SIGKILL mid-session: history survives, the session is interrupted, and resume continues it.</summary>
public sealed class RecoveryTests(SessionsFixture infrastructure)
{
    [Fact]
    public async Task KillNineOfTheRunnerMidSessionLeavesItInterruptedAndResumeContinuesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        var id = await fleet.StartSessionAsync(new { agent = "claude", task = "Count slowly.\n#sim tokens 300\n#sim delay 200" }, ct);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await fleet.MessagesAsync(id, ct)).Count(e => e["type"]!.GetValue<string>() == "text") < 3)
        {
            Assert.True(DateTime.UtcNow < deadline, "the agent never streamed");
            await Task.Delay(100, ct);
        }
        var agentPid = (await fleet.MessagesAsync(id, ct)).Select(e => e["metadata"]?["pid"]).First(p => p is not null)!.GetValue<int>();

        // Read just before the kill: the runner owns the history, and while it is down ManagementApi answers 503.
        var before = await fleet.MessagesAsync(id, ct);
        await fleet.Runner.KillAsync();
        using (var down = await fleet.Http.GetAsync($"/v1/sessions/{id}/messages", ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            Assert.Equal("service_unavailable", (await down.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>(ct))!["code"]!.GetValue<string>());
        }
        await fleet.RestartRunnerAsync(ct);

        var interrupted = await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "interrupted", ct);
        var history = await fleet.MessagesAsync(id, ct);
        Assert.Equal(Enumerable.Range(1, history.Count).Select(i => (long)i), history.Select(e => e["sequence"]!.GetValue<long>()));
        // Everything persisted before the kill is still there, unchanged and in place.
        Assert.Equal(before.Select(e => e["id"]!.GetValue<string>()), history.Take(before.Count).Select(e => e["id"]!.GetValue<string>()));
        Assert.Equal("error", history[^1]["type"]!.GetValue<string>());
        Assert.False(Directory.Exists($"/proc/{agentPid}") && !File.ReadAllText($"/proc/{agentPid}/stat").Contains(") Z "), "the orphaned agent still runs");

        var (resumed, body) = await fleet.PostJsonAsync($"/v1/sessions/{id}/resume", new { task = "Please finish." }, ct);
        Assert.True(resumed.StatusCode == HttpStatusCode.OK, body?.ToJsonString());
        await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "completed", ct);
        var after = await fleet.MessagesAsync(id, ct);
        Assert.Equal(Enumerable.Range(1, after.Count).Select(i => (long)i), after.Select(e => e["sequence"]!.GetValue<long>()));
        Assert.True(after.Count > history.Count);
        Assert.Contains(after.Skip(history.Count), e => e["content"]!.GetValue<string>() == "Agent resumed");
        Assert.Equal(interrupted["agentSessionId"]!.GetValue<string>(),
            after.Last(e => e["metadata"]?["agentSessionId"] is not null)["metadata"]!["agentSessionId"]!.GetValue<string>());
    }
}
