using System.Net;
using System.Text.Json.Nodes;
using AgentFleet.Sessions.Tests.Fixtures;

namespace AgentFleet.Sessions.Tests;

/// <summary>The command kind: any program, its lines as log events, its exit code as the outcome; and the lifecycle controls.</summary>
public sealed class CommandSessionTests(SessionsFixture infrastructure)
{
    [Fact]
    public async Task OutputLinesBecomeLogEventsAndTheExitCodeDecidesTheOutcome()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        var failing = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "sh", "-c", "echo out; echo err >&2; exit 3" }, task = "fail on purpose" }, ct);
        var passing = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "echo", "hello" }, task = "say hello" }, ct);

        var failed = await fleet.WaitForAsync(failing, s => Fleet.StatusOf(s) == "failed", ct);
        Assert.Equal(3, failed["exitCode"]!.GetValue<int>());
        var logs = (await fleet.MessagesAsync(failing, ct)).Where(e => e["type"]!.GetValue<string>() == "log").ToList();
        Assert.Contains(logs, e => e["content"]!.GetValue<string>() == "out" && e["metadata"]!["stream"]!.GetValue<string>() == "stdout");
        Assert.Contains(logs, e => e["content"]!.GetValue<string>() == "err" && e["metadata"]!["stream"]!.GetValue<string>() == "stderr");
        Assert.Equal("error", (await fleet.MessagesAsync(failing, ct))[^1]["type"]!.GetValue<string>());

        var completed = await fleet.WaitForAsync(passing, s => Fleet.StatusOf(s) == "completed", ct);
        Assert.Equal(0, completed["exitCode"]!.GetValue<int>());
        Assert.Contains("hello", completed["logTail"]!.AsArray().Select(l => l!.GetValue<string>()));
    }

    [Fact]
    public async Task PauseResumeAndStopControlTheWholeProcessGroup()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct, stopGraceSeconds: 2);
        // The ticker runs in a child of sh: signals must reach the whole group, not just the leader.
        var id = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "sh", "-c", "sh -c 'while true; do echo tick; sleep 0.05; done' & wait" }, task = "tick forever" }, ct);
        await WaitForLogsAsync(fleet, id, 3, ct);
        var pid = (await fleet.MessagesAsync(id, ct)).Select(e => e["metadata"]?["pid"]).First(p => p is not null)!.GetValue<int>();

        var (paused, _) = await fleet.PostJsonAsync($"/v1/sessions/{id}/pause", new { }, ct);
        Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        Assert.Equal("paused", Fleet.StatusOf(await fleet.GetSessionAsync(id, ct)));
        Assert.All(GroupMembers(pid), state => Assert.Equal('T', state));
        var whilePaused = await LogCountAsync(fleet, id, ct);
        await Task.Delay(500, ct);
        Assert.Equal(whilePaused, await LogCountAsync(fleet, id, ct));

        var (resumed, _) = await fleet.PostJsonAsync($"/v1/sessions/{id}/resume", new { }, ct);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        await WaitForLogsAsync(fleet, id, whilePaused + 3, ct);
        Assert.Equal("running", Fleet.StatusOf(await fleet.GetSessionAsync(id, ct)));

        using var stop = await fleet.Http.DeleteAsync($"/v1/sessions/{id}", ct);
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "stopped", ct);
        Assert.Empty(GroupMembers(pid));
        var (again, problem) = await fleet.PostJsonAsync($"/v1/sessions/{id}/pause", new { }, ct);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("invalid_session_state", problem!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task TwentySessionsWithARunnerLimitOfFourQueueInOrderAndAllComplete()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct, maxConcurrent: 4);
        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await fleet.StartSessionAsync(new { agent = "command", command = new[] { "sleep", "0.4" }, task = $"sleep {i}" }, ct));
        }
        var status = await fleet.Http.GetFromJsonAsyncObject("/v1/status", ct);
        Assert.Equal(4, status["workers"]!["total"]!.GetValue<int>());
        Assert.True(status["workers"]!["queued"]!.GetValue<int>() > 0, status.ToJsonString());

        var runs = new List<(DateTimeOffset Start, DateTimeOffset End)>();
        foreach (var id in ids)
        {
            var session = await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "completed", ct);
            runs.Add((session["startedAt"]!.GetValue<DateTimeOffset>(), session["endedAt"]!.GetValue<DateTimeOffset>()));
            Assert.Equal("queued", (await fleet.MessagesAsync(id, ct))[0]["metadata"]!["sessionStatus"]!.GetValue<string>());
        }
        // Started in the order they were queued (FIFO). Sessions handed out in one go stamp their start concurrently, so
        // neighbours may swap by a millisecond; but a session four places later needs a slot that one of the four before
        // it frees by ending, so it starts after each of them. A LIFO or unordered queue breaks this at once.
        for (var i = 0; i + 4 < runs.Count; i++)
        {
            Assert.True(runs[i].Start < runs[i + 4].Start, $"session {i + 4} started before session {i}");
        }
        // Never more than four agents at once.
        var overlap = runs.Max(run => runs.Count(other => other.Start < run.End && other.End > run.Start && other.Start <= run.Start));
        Assert.InRange(overlap, 1, 4);
    }

    private static async Task<int> LogCountAsync(Fleet fleet, string id, CancellationToken ct) =>
        (await fleet.MessagesAsync(id, ct)).Count(e => e["type"]!.GetValue<string>() == "log");

    private static async Task WaitForLogsAsync(Fleet fleet, string id, int count, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await LogCountAsync(fleet, id, ct) < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"fewer than {count} log events");
            await Task.Delay(50, ct);
        }
    }

    /// <summary>The run state (R, S, T...) of every live process in the group <paramref name="groupId"/>.</summary>
    private static List<char> GroupMembers(int groupId)
    {
        var states = new List<char>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[2]) == groupId && fields[0][0] != 'Z')
                {
                    states.Add(fields[0][0]);
                }
            }
            catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
            {
            }
        }
        return states;
    }
}

internal static class HttpJson
{
    public static async Task<JsonObject> GetFromJsonAsyncObject(this HttpClient http, string path, CancellationToken ct) =>
        JsonNode.Parse(await http.GetStringAsync(path, ct))!.AsObject();
}
