using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.Sessions.Tests.Fixtures;

namespace AgentFleet.Sessions.Tests;

/// <summary>
/// Claude sessions get the fleet's MCP server under their own session key: a real Claude Code CLI, steered by the
/// simulated model, starts a child session through <c>mcp__fleet__create_session</c>, within a bounded depth.
/// </summary>
public sealed class AgentsSpawnAgentsTests(SessionsFixture infrastructure)
{
    private static readonly CallerIdentity Alice = new("key-alice", "alice", CallerRole.Operator);

    [Fact]
    public async Task AClaudeSessionStartsAChildThatCompletesAndAThirdLevelIsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        using var alice = fleet.ClientAs(Alice);
        // The parent asks for a child, whose own task asks for a grandchild: one level too deep.
        var grandchild = new JsonObject { ["agent"] = "claude", ["task"] = "too deep" }.ToJsonString();
        var child = new JsonObject { ["agent"] = "claude", ["task"] = $"#sim tool mcp__fleet__create_session {grandchild}" }.ToJsonString();
        var parentId = await Fleet.StartSessionAsync(alice, new { agent = "claude", task = $"Delegate.\n#sim tool mcp__fleet__create_session {child}" }, ct);

        var parent = await fleet.WaitForAsync(parentId, s => Fleet.StatusOf(s) is "completed" or "failed", ct, seconds: 180);
        Assert.Equal("completed", Fleet.StatusOf(parent));
        Assert.Equal(1, parent["depth"]!.GetValue<int>());
        var parentEvents = await fleet.MessagesAsync(parentId, ct);
        // The parent's history names the session it started, and the tool's answer told the agent its id.
        var started = Assert.Single(parentEvents, e => e["type"]!.GetValue<string>() == "child_session");
        var childId = started["metadata"]!["childSessionId"]!.GetValue<string>();
        Assert.Contains(parentEvents, e => e["type"]!.GetValue<string>() == "tool_result" && e["content"]!.GetValue<string>().Contains(childId));

        var childSession = await fleet.WaitForAsync(childId, s => Fleet.StatusOf(s) is "completed" or "failed", ct, seconds: 180);
        Assert.Equal("completed", Fleet.StatusOf(childSession));
        Assert.Equal(parentId, childSession["parentSessionId"]!.GetValue<string>());
        Assert.Equal(2, childSession["depth"]!.GetValue<int>());
        // Alice owns the child, as she owns the parent.
        Assert.Equal("alice", childSession["owner"]!.GetValue<string>());

        // The child's own attempt was refused with the reason, and no third level exists.
        var childEvents = await fleet.MessagesAsync(childId, ct);
        var refusal = Assert.Single(childEvents, e => e["type"]!.GetValue<string>() == "tool_result");
        Assert.Contains("Mcp:MaxDepth is 2", refusal["content"]!.GetValue<string>());
        Assert.DoesNotContain(childEvents, e => e["type"]!.GetValue<string>() == "child_session");
        var all = (await alice.GetFromJsonAsync<JsonObject>("/v1/sessions?limit=500", ct))!["items"]!.AsArray();
        Assert.Equal(2, all.Count);
    }

    [Fact]
    public async Task AChildDrawsOnItsParentsBudget()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        using var alice = fleet.ClientAs(Alice);
        // The parent's first model call (the one that asks for the child) already spends its whole, tiny budget.
        var child = new JsonObject { ["agent"] = "claude", ["task"] = "Say something." }.ToJsonString();
        var parentId = await Fleet.StartSessionAsync(alice, new { agent = "claude", budgetUsd = 0.000001m, task = $"Delegate.\n#sim tool mcp__fleet__create_session {child}" }, ct);

        await fleet.WaitForAsync(parentId, s => Fleet.StatusOf(s) is "completed" or "failed", ct, seconds: 180);
        var started = Assert.Single(await fleet.MessagesAsync(parentId, ct), e => e["type"]!.GetValue<string>() == "child_session");
        var childId = started["metadata"]!["childSessionId"]!.GetValue<string>();
        await fleet.WaitForAsync(childId, s => Fleet.StatusOf(s) is "completed" or "failed", ct, seconds: 180);

        // The child's first call is refused: the tree (the parent's spending and its own) has used the parent's budget.
        var childEvents = await fleet.MessagesAsync(childId, ct);
        Assert.Contains(childEvents, e => e.ToJsonString().Contains($"The budget of session {parentId} and the sessions it started"));
        Assert.Empty(await infrastructure.ProxyUsageAsync(Guid.Parse(childId), 0, ct));
        Assert.NotEmpty(await infrastructure.ProxyUsageAsync(Guid.Parse(parentId), 1, ct));
    }

    [Fact]
    public async Task PerSessionMcpServersComeOnlyFromTheAdminsAllowLists()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct, runnerSettings: new()
        {
            ["SessionRunner__Mcp__AllowedCommands__0"] = "cat",
            ["SessionRunner__Mcp__AllowedHosts__0"] = "mcp.example.test",
        });
        using var alice = fleet.ClientAs(Alice);

        var shell = await RefusalAsync(alice, new { files = new { command = "/bin/sh", args = new[] { "-c", "id" } } }, ct);
        Assert.Contains("'/bin/sh' is not allowed", shell);
        Assert.Contains("SessionRunner:Mcp:AllowedCommands", shell);
        Assert.Contains("cat", shell);
        var host = await RefusalAsync(alice, new { web = new { type = "http", url = "http://169.254.169.254/mcp" } }, ct);
        Assert.Contains("SessionRunner:Mcp:AllowedHosts allows: mcp.example.test", host);
        var reserved = await RefusalAsync(alice, new { fleet = new { command = "cat" } }, ct);
        Assert.Contains("are the fleet's", reserved);

        // Allowed ones reach the CLI's configuration beside the fleet's own two.
        var id = await Fleet.StartSessionAsync(alice, new
        {
            agent = "claude",
            task = "hello",
            mcpServers = new { files = new { command = "cat" }, docs = new { type = "http", url = "http://mcp.example.test/mcp" } },
        }, ct);
        await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) is "completed" or "failed", ct, seconds: 120);
        // The CLI's own first line (its raw log) lists the MCP servers it was given.
        var log = await alice.GetStringAsync($"/v1/sessions/{id}/log", ct);
        var init = log.Split('\n').First(line => line.Contains("\"subtype\":\"init\""));
        var servers = JsonNode.Parse(init)!["mcp_servers"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(["approvals", "docs", "files", "fleet"], servers.Order());
    }

    [Fact]
    public async Task OnlyClaudeSessionsTakeMcpServers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct, runnerSettings: new() { ["SessionRunner__Mcp__AllowedCommands__0"] = "cat" });
        using var response = await fleet.Http.PostAsJsonAsync("/v1/sessions",
            new { agent = "command", command = new[] { "true" }, task = "x", mcpServers = new { files = new { command = "cat" } } }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("passed to the claude CLI", await response.Content.ReadAsStringAsync(ct));
    }

    private static async Task<string> RefusalAsync(HttpClient client, object servers, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsJsonAsync("/v1/sessions", new { agent = "claude", task = "hello", mcpServers = servers }, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {body}");
        Assert.Contains("validation_failed", body);
        return body;
    }
}
