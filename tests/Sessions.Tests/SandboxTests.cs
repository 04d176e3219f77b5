using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.Testing;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.Sessions.Tests.Fixtures;

namespace AgentFleet.Sessions.Tests;

/// <summary>
/// Agents are untrusted: each runs as a uid of its own inside bubblewrap, sees its directory, the system and a
/// private /tmp, and nothing of the runner, the repository or its neighbours.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SandboxTests(SessionsFixture infrastructure)
{
    private static readonly string Repository = AgentFleet.Testing.Repository.Root();

    [Fact]
    public async Task ACommandSessionRunsAsItsOwnUidAndSeesNothingButItsDirectory()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        var secrets = WriteSecrets(fleet);
        var neighbour = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "sh", "-c", "echo mine > note.txt; sleep 30" }, task = "hold a file" }, ct);
        await fleet.WaitForAsync(neighbour, s => Fleet.StatusOf(s) == "running", ct);
        var neighbourDir = Path.Combine(fleet.RunnerRoot, "sessions", neighbour);
        string[] probes =
        [
            "echo uid=$(id -u)",
            $"ls {Repository} >/dev/null 2>&1; echo repository=$?",
            $"ls {Path.GetDirectoryName(secrets)} >/dev/null 2>&1; echo fleet-home=$?",
            $"cat {secrets} >/dev/null 2>&1; echo secrets=$?",
            "cat ../../secrets.json >/dev/null 2>&1; echo secrets-relative=$?",
            $"ls {neighbourDir} >/dev/null 2>&1; echo neighbour=$?",
            $"cat {neighbourDir}/note.txt >/dev/null 2>&1; echo neighbour-file=$?",
            $"cat {fleet.RunnerRoot}/state/{neighbour}/.session.log >/dev/null 2>&1; echo neighbour-log=$?",
            $"ls {fleet.RunnerRoot}/sessions >/dev/null 2>&1; echo sessions-list=$?",
            "unshare -U true >/dev/null 2>&1; echo userns=$?",
            "unshare -Ur true >/dev/null 2>&1; echo userns-root=$?",
            "echo home=$HOME; echo cwd=$(pwd)",
            "for p in /proc/[0-9]*; do echo \"proc=$(tr '\\0' ' ' < $p/cmdline)\"; done",
        ];
        var id = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "sh", "-c", string.Join('\n', probes) }, task = "look around" }, ct);
        await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "completed", ct);

        var lines = await LogLinesAsync(fleet, id, ct);
        var session = await fleet.GetSessionAsync(id, ct);
        var uid = session["sandbox"]!["uid"]!.GetValue<int>();
        Assert.Equal("bubblewrap", session["sandbox"]!["mode"]!.GetValue<string>());
        Assert.Equal($"uid={uid}", lines.Single(l => l.StartsWith("uid=")));
        Assert.NotEqual(0, uid);
        Assert.NotEqual(uid, (await fleet.GetSessionAsync(neighbour, ct))["sandbox"]!["uid"]!.GetValue<int>());
        // Nor can it make a user namespace of its own, to be root over its own mounts.
        foreach (var probe in new[] { "repository", "fleet-home", "secrets", "secrets-relative", "neighbour", "neighbour-file", "neighbour-log", "sessions-list", "userns", "userns-root" })
        {
            var line = lines.Single(l => l.StartsWith(probe + "="));
            Assert.True(line != $"{probe}=0", $"{line}: the agent reached it\n{string.Join('\n', lines)}");
        }
        var sessionDir = Path.Combine(fleet.RunnerRoot, "sessions", id);
        Assert.Contains($"home={sessionDir}", lines);
        Assert.Contains($"cwd={sessionDir}", lines);
        // Its own PID namespace: bubblewrap's init and the probe's own processes, nothing of the host.
        var processes = lines.Where(l => l.StartsWith("proc=")).ToList();
        Assert.InRange(processes.Count, 2, 5);
        Assert.All(processes, p => Assert.Matches("^proc=(/usr/bin/bwrap|/usr/bin/sh|sh|tr) ", p));
        // The directory is the session uid's alone.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(sessionDir));
        await fleet.Http.DeleteAsync($"/v1/sessions/{neighbour}", ct);
    }

    [Fact]
    public async Task ClaudeCannotReadTheSecretsAndWritesToItsPrivateTmp()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        var secrets = WriteSecrets(fleet);
        var hostTmp = Path.Combine("/tmp", $"fleet-sandbox-{Guid.NewGuid():N}.txt");
        var tasks = new[]
        {
            $"#sim tool Read {{\"file_path\": \"{secrets}\"}}",
            "#sim tool Read {\"file_path\": \"../../secrets.json\"}",
            $"#sim tool Write {{\"file_path\": \"{hostTmp}\", \"content\": \"escaped\\n\"}}",
        };
        var ids = new List<string>();
        foreach (var task in tasks)
        {
            ids.Add(await fleet.StartSessionAsync(new { agent = "claude", task = $"Try it.\n{task}" }, ct));
        }
        foreach (var id in ids)
        {
            await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) is "completed" or "failed", ct, seconds: 120);
        }

        for (var i = 0; i < 2; i++)
        {
            var events = await fleet.MessagesAsync(ids[i], ct);
            var result = events.First(e => e["type"]!.GetValue<string>() == "tool_result");
            Assert.True(result["metadata"]!["isError"]?.GetValue<bool>() == true, result.ToJsonString());
            Assert.DoesNotContain(events, e => e.ToJsonString().Contains("top-secret-value"));
        }
        var write = (await fleet.MessagesAsync(ids[2], ct)).First(e => e["type"]!.GetValue<string>() == "tool_result");
        Assert.True(write["metadata"]!["isError"]?.GetValue<bool>() != true, write.ToJsonString());
        Assert.False(File.Exists(hostTmp), "the Write reached the host's /tmp");
    }

    [Fact]
    public async Task AForkBombStopsAtTheProcessLimitAndTheRunnerStaysHealthy()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct, stopGraceSeconds: 1, runnerSettings: new() { ["SessionRunner__Sandbox__Limits__MaxProcesses"] = "40" });
        var id = await fleet.StartSessionAsync(new
        {
            agent = "command",
            // perl (Debian's perl-base) rather than sh: dash gives up at the first fork that fails.
            command = new[] { "perl", "-e", "my $n = 0; for (1 .. 400) { my $pid = fork(); next unless defined $pid; if ($pid == 0) { sleep 60; exit 0 } $n++ } $| = 1; print \"started=$n\\n\"; sleep 60" },
            task = "fork bomb",
        }, ct);
        await fleet.WaitForAsync(id, s => s["logTail"]?.AsArray().Any(l => l!.GetValue<string>().StartsWith("started=")) == true, ct);

        var session = await fleet.GetSessionAsync(id, ct);
        Assert.Equal(40, session["sandbox"]!["limits"]!["maxProcesses"]!.GetValue<int>());
        var started = int.Parse(session["logTail"]!.AsArray().Select(l => l!.GetValue<string>()).Last(l => l.StartsWith("started="))["started=".Length..]);
        // 40 processes for the session's uid, the bomb itself among them: the other 360 forks were refused.
        Assert.InRange(started, 1, 39);
        // The runner still answers and still runs sessions, and the bomb stops on request.
        using var health = await new HttpClient().GetAsync($"{fleet.Runner.HttpUrl}/health", ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var other = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "echo", "still here" }, task = "next" }, ct);
        await fleet.WaitForAsync(other, s => Fleet.StatusOf(s) == "completed", ct);
        using var stop = await fleet.Http.DeleteAsync($"/v1/sessions/{id}", ct);
        await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "stopped", ct, seconds: 30);
    }

    [Fact]
    public async Task TheCommandAgentIsForAdminsUnlessConfigured()
    {
        var ct = TestContext.Current.CancellationToken;
        var operatorKey = new CallerIdentity("key-op", "ops", CallerRole.Operator);
        await using (var fleet = await Fleet.StartAsync(infrastructure, ct))
        {
            using var client = fleet.ClientAs(operatorKey);
            using var refused = await client.PostAsJsonAsync("/v1/sessions", new { agent = "command", command = new[] { "true" }, task = "x" }, ct);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            var problem = await refused.Content.ReadFromJsonAsync<JsonObject>(ct);
            Assert.Equal("agent_not_allowed", problem!["code"]!.GetValue<string>());
            Assert.Contains("SessionRunner:Command:AllowedRoles", problem["detail"]!.GetValue<string>());
            Assert.Equal(0, (await fleet.Http.GetFromJsonAsyncObject("/v1/sessions", ct))["total"]!.GetValue<int>());
        }
        await using (var fleet = await Fleet.StartAsync(infrastructure, ct, runnerSettings: Fleet.OperatorsRunCommands))
        {
            using var client = fleet.ClientAs(operatorKey);
            using var allowed = await client.PostAsJsonAsync("/v1/sessions", new { agent = "command", command = new[] { "true" }, task = "x" }, ct);
            Assert.Equal(HttpStatusCode.Accepted, allowed.StatusCode);
        }
    }

    [Fact]
    public async Task WithoutBubblewrapAgentsAreRefusedUnlessTheAdminTurnsTheSandboxOff()
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var fleet = await Fleet.StartAsync(infrastructure, ct, runnerSettings: new() { ["SessionRunner__Sandbox__BubblewrapPath"] = "/nonexistent/bwrap" }))
        {
            var (response, problem) = await fleet.PostJsonAsync("/v1/sessions", new { agent = "claude", task = "hello" }, ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("sandbox_unavailable", problem!["code"]!.GetValue<string>());
            Assert.Contains("Mode=none", problem["detail"]!.GetValue<string>());
            var sandbox = (await fleet.Http.GetFromJsonAsyncObject("/v1/status", ct))["sandbox"]!;
            Assert.Equal("bubblewrap", sandbox["mode"]!.GetValue<string>());
            Assert.False(sandbox["available"]!.GetValue<bool>());
            Assert.Contains("not installed", sandbox["detail"]!.GetValue<string>());
        }
        await using (var fleet = await Fleet.StartAsync(infrastructure, ct, runnerSettings: new() { ["SessionRunner__Sandbox__Mode"] = "none" }))
        {
            var id = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "id", "-u" }, task = "who" }, ct);
            await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "completed", ct);
            // Unconfined, it runs as the runner does: as this test's own user.
            var ownUid = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:")).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
            Assert.Equal(ownUid, (await LogLinesAsync(fleet, id, ct)).Single());
            Assert.Equal("none", (await fleet.GetSessionAsync(id, ct))["sandbox"]!["mode"]!.GetValue<string>());
            Assert.Equal("none", (await fleet.Http.GetFromJsonAsyncObject("/v1/status", ct))["sandbox"]!["mode"]!.GetValue<string>());
        }
    }

    /// <summary>A secrets file beside the runner's root, as <c>.fleet/secrets.json</c> sits beside <c>.fleet/runner</c>: root's, 0600.</summary>
    private static string WriteSecrets(Fleet fleet)
    {
        var path = Path.Combine(fleet.RunnerRoot, "secrets.json");
        File.WriteAllText(path, "{\"identity\": \"top-secret-value\"}");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static async Task<List<string>> LogLinesAsync(Fleet fleet, string id, CancellationToken ct) =>
        [.. (await fleet.MessagesAsync(id, ct)).Where(e => e["type"]!.GetValue<string>() == "log").Select(e => e["content"]!.GetValue<string>())];
}
