using System.Net;
using AgentFleet.Sessions.Tests.Fixtures;

namespace AgentFleet.Sessions.Tests;

/// <summary>What a hostile or careless request cannot do: reach a shell, leave the session directory, read the runner's secrets.</summary>
public sealed class SafetyTests(SessionsFixture infrastructure)
{
    [Fact]
    public async Task ShellMetacharactersInTheCommandAndTaskStayLiteral()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        string[] arguments = ["$(touch pwned-subst)", "; touch pwned-semicolon", "`touch pwned-backtick`", "../../escape", "| cat /etc/passwd"];
        var id = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "echo" }.Concat(arguments), task = "$(touch pwned-task); ../../../etc" }, ct);
        await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "completed", ct);

        var log = (await fleet.MessagesAsync(id, ct)).Single(e => e["type"]!.GetValue<string>() == "log")["content"]!.GetValue<string>();
        Assert.Equal(string.Join(' ', arguments), log);
        var sessionDir = Path.Combine(fleet.RunnerRoot, "sessions", id);
        Assert.Empty(Directory.EnumerateFiles(fleet.RunnerRoot, "pwned*", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(fleet.RunnerRoot)!, "pwned*"));
        // The runner's record sits outside the agent's reach, in state/<id>/.
        Assert.True(File.Exists(Path.Combine(fleet.RunnerRoot, "state", id, ".session-meta.json")));
        Assert.False(File.Exists(Path.Combine(sessionDir, ".session-meta.json")));
    }

    [Fact]
    public async Task AgentsSeeTheirOwnHomeAndNoneOfTheRunnersSecrets()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        var id = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "env" }, task = "show the environment" }, ct);
        await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "completed", ct);

        var variables = (await fleet.MessagesAsync(id, ct)).Where(e => e["type"]!.GetValue<string>() == "log").Select(e => e["content"]!.GetValue<string>()).ToList();
        Assert.DoesNotContain(variables, v => v.Contains("do-not-leak") || v.StartsWith("ConnectionStrings", StringComparison.Ordinal) || v.StartsWith("SessionKeys", StringComparison.Ordinal));
        Assert.Contains($"HOME={Path.Combine(fleet.RunnerRoot, "sessions", id)}", variables);
        Assert.Contains($"FLEET_SESSION_ID={id}", variables);
    }

    [Fact]
    public async Task AnAgentPrintingNulCharactersCannotStallThePersistenceOfEvents()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        var id = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "printf", "before\\0after\\n" }, task = "print a NUL" }, ct);
        await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "completed", ct);
        Assert.Contains(await fleet.MessagesAsync(id, ct), e => e["content"]?.GetValue<string>() == "before\uFFFDafter");

        // The writer is not stuck on it: the next session's events are stored too.
        var next = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "echo", "next" }, task = "after it" }, ct);
        await fleet.WaitForAsync(next, s => Fleet.StatusOf(s) == "completed", ct);
    }

    [Fact]
    public async Task AnOverlongLineArrivesInPiecesOfTheLimit()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct, runnerSettings: new() { ["SessionRunner__MaxLineLength"] = "1000" });
        // 2,500 characters and no newline, then a short line.
        var id = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "sh", "-c", "head -c 2500 /dev/zero | tr '\\0' a; echo; echo after" }, task = "one long line" }, ct);
        await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "completed", ct);

        var lines = (await fleet.MessagesAsync(id, ct)).Where(e => e["type"]!.GetValue<string>() == "log").Select(e => e["content"]!.GetValue<string>()).ToList();
        Assert.Equal([1000, 1000, 500], lines.Take(3).Select(l => l.Length));
        Assert.All(lines.Take(3), l => Assert.Matches("^a+$", l));
        Assert.Equal("after", lines[^1]);
    }

    [Theory]
    [InlineData("..%2F..%2Fetc")]
    [InlineData("not-a-uuid")]
    public async Task ASessionIdThatIsNotAUuidIsRejected(string id)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        using var response = await fleet.Http.GetAsync($"/v1/sessions/{id}/log", ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("validation_failed", await response.Content.ReadAsStringAsync(ct));
    }
}
