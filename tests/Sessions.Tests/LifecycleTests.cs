using System.Net;
using System.Text.Json.Nodes;
using AgentFleet.Testing;
using AgentFleet.Sessions.Tests.Fixtures;

namespace AgentFleet.Sessions.Tests;

/// <summary>What ends a session besides its agent: a timeout, a stop the agent ignores, the retention; and how its ends are read.</summary>
public sealed class LifecycleTests(SessionsFixture infrastructure)
{
    [Fact]
    public async Task ASessionPastItsTimeoutIsEndedAsFailedAndItsProcessGroupIsGone()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct, stopGraceSeconds: 1);
        var id = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "sleep", "60" }, task = "overrun", timeoutSeconds = 1 }, ct);

        var ended = await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "failed", ct, seconds: 30);
        var last = (await fleet.MessagesAsync(id, ct))[^1];
        Assert.Equal("error", last["type"]!.GetValue<string>());
        Assert.Contains("Timed out after 1 s", last["content"]!.GetValue<string>());
        Assert.True(ended["durationMs"]!.GetValue<double>() < 30_000, ended.ToJsonString());
    }

    [Fact]
    public async Task AnAgentThatIgnoresSigtermIsKilledAfterTheGracePeriod()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct, stopGraceSeconds: 1);
        var id = await fleet.StartSessionAsync(new
        {
            agent = "command",
            command = new[] { "sh", "-c", "trap 'echo term-ignored' TERM; echo ready; while true; do sleep 0.1; done" },
            task = "ignore SIGTERM",
        }, ct);
        await fleet.WaitForAsync(id, s => s["logTail"]?.AsArray().Any(l => l!.GetValue<string>() == "ready") == true, ct);

        using var stop = await fleet.Http.DeleteAsync($"/v1/sessions/{id}", ct);
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);

        await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "stopped", ct, seconds: 30);
        var logs = (await fleet.MessagesAsync(id, ct)).Where(e => e["type"]!.GetValue<string>() == "log").Select(e => e["content"]!.GetValue<string>());
        // The agent heard SIGTERM and carried on; only SIGKILL ended it.
        Assert.Contains("term-ignored", logs);
    }

    [Fact]
    public async Task TheLogFollowsARunningAgentAndEndsWithIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        var id = await fleet.StartSessionAsync(new
        {
            agent = "command", command = new[] { "sh", "-c", "for i in 1 2 3 4 5; do echo line-$i; sleep 0.3; done" }, task = "print slowly",
        }, ct);

        using var response = await fleet.Http.GetAsync($"/v1/sessions/{id}/log?follow=true", HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        var first = await reader.ReadLineAsync(ct);
        // The first line arrives while the agent still runs.
        Assert.Equal("running", Fleet.StatusOf(await fleet.GetSessionAsync(id, ct)));
        var rest = await reader.ReadToEndAsync(ct);
        Assert.Equal("line-1", first);
        Assert.Equal(["line-2", "line-3", "line-4", "line-5"], rest.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("completed", Fleet.StatusOf(await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) != "running", ct)));
    }

    [Fact]
    public async Task TheListFiltersByStatusAndPagesAndSseFromSinceEndsWithTheAgentsError()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        var failing = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "sh", "-c", "echo a; echo b; exit 1" }, task = "fail" }, ct);
        var done = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "true" }, task = "pass" }, ct);
        var running = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "sleep", "30" }, task = "wait" }, ct);
        await fleet.WaitForAsync(failing, s => Fleet.StatusOf(s) == "failed", ct);
        await fleet.WaitForAsync(done, s => Fleet.StatusOf(s) == "completed", ct);
        await fleet.WaitForAsync(running, s => Fleet.StatusOf(s) == "running", ct);

        var onlyRunning = await fleet.Http.GetFromJsonAsyncObject("/v1/sessions?status=running", ct);
        Assert.Equal([running], onlyRunning["items"]!.AsArray().Select(s => s!["sessionId"]!.GetValue<string>()));
        var page = await fleet.Http.GetFromJsonAsyncObject("/v1/sessions?limit=1&offset=1", ct);
        Assert.Equal(3, page["total"]!.GetValue<int>());
        // Newest first: the second newest is the one that completed.
        Assert.Equal([done], page["items"]!.AsArray().Select(s => s!["sessionId"]!.GetValue<string>()));

        var all = await SseClient.ReadAllAsync(fleet.Http, $"/v1/sessions/{failing}/events", null, ct);
        var fromTwo = await SseClient.ReadAllAsync(fleet.Http, $"/v1/sessions/{failing}/events?since=2", null, ct);
        Assert.Equal(all.Where(e => e.Id is not null && long.Parse(e.Id) > 2).Select(e => e.Id), fromTwo.Select(e => e.Id));
        Assert.Equal("agent:error", fromTwo[^1].Name);
        using var stop = await fleet.Http.DeleteAsync($"/v1/sessions/{running}", ct);
    }

    [Fact]
    public async Task FinishedSessionDirectoriesArePrunedAfterTheRetentionWhileTheirHistoryStays()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct, runnerSettings: new()
        {
            // About two seconds of retention, checked every 0.6 s.
            ["SessionRunner__RetentionDays"] = "0.000025",
            ["SessionRunner__CleanupIntervalMinutes"] = "0.01",
        });
        var id = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "echo", "kept in history" }, task = "print" }, ct);
        await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "completed", ct);
        var directory = Path.Combine(fleet.RunnerRoot, "sessions", id);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Directory.Exists(directory))
        {
            Assert.True(DateTime.UtcNow < deadline, "the session directory was never pruned");
            await Task.Delay(100, ct);
        }
        Assert.Contains(await fleet.MessagesAsync(id, ct), e => e["content"]?.GetValue<string>() == "kept in history");
    }

    [Fact]
    public async Task UptimeCountsFromTheStartOfTheApiNotFromTheFirstStatusCall()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        var started = System.Diagnostics.Process.GetProcessById(fleet.Api.Pid).StartTime.ToUniversalTime();
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        var status = await fleet.Http.GetFromJsonAsyncObject("/v1/status", ct);
        // The first status call already reports the time since the process began.
        Assert.True(status["uptimeSeconds"]!.GetValue<double>() >= (DateTime.UtcNow - started).TotalSeconds - 1, status.ToJsonString());
    }

    [Fact]
    public async Task TheStatusReportsUptimeVersionHostResourcesAndEachServicesHealth()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        var status = await fleet.Http.GetFromJsonAsyncObject("/v1/status", ct);
        Assert.False(string.IsNullOrEmpty(status["version"]!.GetValue<string>()));
        Assert.True(status["uptimeSeconds"]!.GetValue<double>() >= 0);
        Assert.True(status["cpu"]!["cores"]!.GetValue<int>() >= 1, status.ToJsonString());
        Assert.True(status["memory"]!["totalBytes"]!.GetValue<long>() > 0, status.ToJsonString());
        Assert.True(status["disk"]!["totalBytes"]!.GetValue<long>() > 0, status.ToJsonString());
        Assert.NotNull(status["gpus"]!.AsArray());
        var services = status["services"]!.AsArray().ToDictionary(s => s!["name"]!.GetValue<string>(), s => s!["status"]!.GetValue<string>());
        Assert.Equal("healthy", services["session-runner"]);
        // Not wired in this fleet: said so rather than guessed.
        Assert.Equal("unknown", services["comfy-bridge"]);
        Assert.Equal("unknown", status["comfyui"]!["status"]!.GetValue<string>());
    }
}
