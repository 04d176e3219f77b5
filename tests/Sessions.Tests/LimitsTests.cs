using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.Sessions.Tests.Fixtures;

namespace AgentFleet.Sessions.Tests;

/// <summary>One owner cannot hold more than its share of active sessions; others are not held back by it.</summary>
public sealed class LimitsTests(SessionsFixture infrastructure)
{
    private static readonly object Sleeper = new { agent = "command", command = new[] { "sleep", "60" }, task = "wait" };

    [Fact]
    public async Task AnOwnerOverItsActiveSessionLimitGets429UntilOneEnds()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct, api: new() { ["Limits__MaxActiveSessionsPerOwner"] = "2" }, runnerSettings: Fleet.OperatorsRunCommands);
        using var alice = fleet.ClientAs(new CallerIdentity("key-a1", "alice", CallerRole.Operator));
        using var aliceAgain = fleet.ClientAs(new CallerIdentity("key-a2", "alice", CallerRole.Operator));
        using var bob = fleet.ClientAs(new CallerIdentity("key-b", "bob", CallerRole.Operator));

        // Two at the same moment from two of alice's keys, then a third: the lock on the owner lets exactly two in.
        var first = await Task.WhenAll(alice.PostAsJsonAsync("/v1/sessions", Sleeper, ct), aliceAgain.PostAsJsonAsync("/v1/sessions", Sleeper, ct));
        Assert.All(first, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        using var third = await alice.PostAsJsonAsync("/v1/sessions", Sleeper, ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        var problem = await third.Content.ReadFromJsonAsync<JsonObject>(ct);
        Assert.Equal("concurrency_limit", problem!["code"]!.GetValue<string>());
        Assert.Contains("the limit is 2", problem["detail"]!.GetValue<string>());

        // Someone else is not held back, nor is the admin.
        using (var bobs = await bob.PostAsJsonAsync("/v1/sessions", Sleeper, ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, bobs.StatusCode);
        }
        using (var admins = await fleet.Http.PostAsJsonAsync("/v1/sessions", Sleeper, ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, admins.StatusCode);
        }

        // One of alice's ends: there is room again.
        var id = (await first[0].Content.ReadFromJsonAsync<JsonObject>(ct))!["sessionId"]!.GetValue<string>();
        using (var stopped = await alice.DeleteAsync($"/v1/sessions/{id}", ct))
        {
            Assert.Equal(HttpStatusCode.OK, stopped.StatusCode);
        }
        await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "stopped", ct);
        using var again = await alice.PostAsJsonAsync("/v1/sessions", Sleeper, ct);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        foreach (var response in first)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task AStartWhoseAnswerIsLostNeverLeavesAnAgentRunningUnseen()
    {
        var ct = TestContext.Current.CancellationToken;
        // Every start's deadline passes while the runner is still at work on it: the agent may start, the answer is lost.
        await using var fleet = await Fleet.StartAsync(infrastructure, ct, api: new() { ["Limits__RunnerStartTimeoutSeconds"] = "0.001" });
        var (response, body) = await fleet.PostJsonAsync("/v1/sessions", Sleeper, ct);
        Assert.True(response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.ServiceUnavailable, $"{response.StatusCode}: {body}");

        // Whatever the runner runs, the API shows: every active worker is a session someone can see and stop.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        int active, visible;
        do
        {
            await Task.Delay(500, ct);
            active = (await fleet.Http.GetFromJsonAsyncObject("/v1/status", ct))["workers"]!["active"]!.GetValue<int>();
            visible = (await fleet.Http.GetFromJsonAsyncObject("/v1/sessions?status=running", ct))["total"]!.GetValue<int>();
        }
        while (active != visible && DateTime.UtcNow < deadline);
        Assert.Equal(visible, active);
        if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
        {
            Assert.Equal("service_unavailable", body!["code"]!.GetValue<string>());
            Assert.Equal(0, active);
        }
    }
}

/// <summary>A claude session with a budget: ZaiProxy refuses its model calls once the budget is spent.</summary>
public sealed class BudgetTests(SessionsFixture infrastructure)
{
    [Fact]
    public async Task AClaudeSessionStopsGettingModelCallsOnceItsBudgetIsSpent()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        var id = await fleet.StartSessionAsync(new
        {
            agent = "claude",
            task = "Create the greeting file.\n#sim tool Write {\"file_path\": \"hello.txt\", \"content\": \"hello\\n\"}",
            budgetUsd = 0.000001m,
        }, ct);
        var session = await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) is "completed" or "failed", ct, seconds: 120);
        var events = await fleet.MessagesAsync(id, ct);
        var all = string.Join("\n", events.Select(e => e.ToJsonString()));

        // The first call (the Write) went through and the tool ran; the one after it, past the budget, was refused.
        Assert.True(File.Exists(Path.Combine(fleet.RunnerRoot, "sessions", id, "hello.txt")), all);
        Assert.Contains("budget", all);
        var usage = await infrastructure.ProxyUsageAsync(Guid.Parse(id), expected: 1, ct);
        Assert.Single(usage);
        Assert.Equal("failed", Fleet.StatusOf(session));
    }
}
