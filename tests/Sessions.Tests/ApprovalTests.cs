using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.Sessions.Tests.Fixtures;

namespace AgentFleet.Sessions.Tests;

/// <summary>
/// A claude session's risky tool uses wait for a person: the real Claude Code CLI asks the runner's permission prompt
/// tool (MCP), the use is queued and shown, and the decision reaches Claude as soon as it is made.
/// </summary>
public sealed class ApprovalTests(SessionsFixture infrastructure)
{
    private const string RemoveBuild = "Clean up.\n#sim tool Bash {\"command\": \"mkdir -p build && rm -rf build && echo removed\", \"description\": \"remove build\"}";

    private static readonly CallerIdentity Alice = new("key-alice", "alice", CallerRole.Operator);

    [Fact]
    public async Task ARecursiveRemoveWaitsAsHighRiskAndRunsOnceApproved()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        using var alice = fleet.ClientAs(Alice);
        using var aliceViewer = fleet.ClientAs(new CallerIdentity("key-alice-view", "alice", CallerRole.Viewer));
        using var bob = fleet.ClientAs(new CallerIdentity("key-bob", "bob", CallerRole.Operator));
        var id = await StartAsync(alice, RemoveBuild, ct);
        var read = await StartAsync(alice, "Look.\n#sim tool Read {\"file_path\": \"notes.txt\"}", ct);

        await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "waiting_approval", ct, seconds: 120);
        var pending = await ListAsync(alice, $"/v1/approvals?status=pending&sessionId={id}", ct);
        var approval = Assert.Single(pending);
        Assert.Equal("Bash", approval["toolName"]!.GetValue<string>());
        Assert.Equal("high", approval["risk"]!.GetValue<string>());
        Assert.Equal("removes files recursively", approval["reason"]!.GetValue<string>());
        Assert.Contains("rm -rf build", approval["input"]!["command"]!.GetValue<string>());
        var approvalId = approval["approvalId"]!.GetValue<string>();
        // The queued use is in the session's stream, with what a person needs to decide.
        var needed = (await fleet.MessagesAsync(id, ct)).Single(e => e["type"]!.GetValue<string>() == "approval_needed");
        Assert.Equal(approvalId, needed["metadata"]!["approvalId"]!.GetValue<string>());
        Assert.Equal("high", needed["metadata"]!["risk"]!.GetValue<string>());
        // Bob does not see alice's queue, nor can he decide in it.
        Assert.Empty(await ListAsync(bob, "/v1/approvals?status=pending", ct));
        using (var bobs = await bob.PostAsync($"/v1/approvals/{approvalId}/approve", null, ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, bobs.StatusCode);
        }
        using (var viewers = await aliceViewer.PostAsync($"/v1/approvals/{approvalId}/approve", null, ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, viewers.StatusCode);
        }
        Assert.Equal("waiting_approval", Fleet.StatusOf(await fleet.GetSessionAsync(id, ct)));

        using (var approved = await alice.PostAsync($"/v1/approvals/{approvalId}/approve", null, ct))
        {
            Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
            var decided = await approved.Content.ReadFromJsonAsync<JsonObject>(ct);
            Assert.Equal("approved", decided!["status"]!.GetValue<string>());
            Assert.Equal("key-alice", decided["decidedBy"]!.GetValue<string>());
        }
        using (var again = await alice.PostAsync($"/v1/approvals/{approvalId}/reject", null, ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
            Assert.Equal("approval_decided", (await again.Content.ReadFromJsonAsync<JsonObject>(ct))!["code"]!.GetValue<string>());
        }

        await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "completed", ct, seconds: 120);
        var events = await fleet.MessagesAsync(id, ct);
        var types = events.Select(e => e["type"]!.GetValue<string>()).ToList();
        Assert.True(types.IndexOf("approval_needed") < types.IndexOf("approval_decided") && types.IndexOf("approval_decided") < types.IndexOf("tool_result"), string.Join(", ", types));
        var result = events.First(e => e["type"]!.GetValue<string>() == "tool_result");
        Assert.Contains("removed", result["content"]!.GetValue<string>());
        Assert.True(result["metadata"]!["isError"]?.GetValue<bool>() != true, result.ToJsonString());

        // A read never asks.
        await fleet.WaitForAsync(read, s => Fleet.StatusOf(s) == "completed", ct, seconds: 120);
        Assert.DoesNotContain(await fleet.MessagesAsync(read, ct), e => e["type"]!.GetValue<string>() == "approval_needed");
        Assert.Empty(await ListAsync(alice, $"/v1/approvals?sessionId={read}", ct));
    }

    [Fact]
    public async Task ARejectionTellsClaudeWhyAndAnEditedApprovalRunsTheEdit()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        using var alice = fleet.ClientAs(Alice);
        var rejected = await StartAsync(alice, RemoveBuild, ct);
        var edited = await StartAsync(alice, RemoveBuild, ct);
        await fleet.WaitForAsync(rejected, s => Fleet.StatusOf(s) == "waiting_approval", ct, seconds: 120);
        await fleet.WaitForAsync(edited, s => Fleet.StatusOf(s) == "waiting_approval", ct, seconds: 120);

        var toReject = Assert.Single(await ListAsync(alice, $"/v1/approvals?status=pending&sessionId={rejected}", ct));
        using (var response = await alice.PostAsJsonAsync($"/v1/approvals/{toReject["approvalId"]}/reject", new { message = "keep the build directory" }, ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var toEdit = Assert.Single(await ListAsync(alice, $"/v1/approvals?status=pending&sessionId={edited}", ct));
        using (var response = await alice.PostAsJsonAsync($"/v1/approvals/{toEdit["approvalId"]}/approve", new { updatedInput = new { command = "echo edited-by-a-person" } }, ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Claude is told the message, and goes on to complete.
        await fleet.WaitForAsync(rejected, s => Fleet.StatusOf(s) == "completed", ct, seconds: 120);
        var events = await fleet.MessagesAsync(rejected, ct);
        var result = events.First(e => e["type"]!.GetValue<string>() == "tool_result");
        Assert.True(result["metadata"]!["isError"]?.GetValue<bool>() == true, result.ToJsonString());
        Assert.Contains("keep the build directory", result["content"]!.GetValue<string>());
        var decision = events.Single(e => e["type"]!.GetValue<string>() == "approval_decided");
        Assert.Equal("rejected", decision["metadata"]!["decision"]!.GetValue<string>());

        await fleet.WaitForAsync(edited, s => Fleet.StatusOf(s) == "completed", ct, seconds: 120);
        var ran = (await fleet.MessagesAsync(edited, ct)).First(e => e["type"]!.GetValue<string>() == "tool_result");
        Assert.Contains("edited-by-a-person", ran["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task NoDecisionWithinTheTimeoutIsADenyThatSaysSo()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct, runnerSettings: new() { ["Approvals__TimeoutSeconds"] = "3" });
        using var alice = fleet.ClientAs(Alice);
        var id = await StartAsync(alice, RemoveBuild, ct);

        await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "completed", ct, seconds: 120);
        var events = await fleet.MessagesAsync(id, ct);
        var result = events.First(e => e["type"]!.GetValue<string>() == "tool_result");
        Assert.True(result["metadata"]!["isError"]?.GetValue<bool>() == true, result.ToJsonString());
        Assert.Contains("No one decided within 3 s", result["content"]!.GetValue<string>());
        var approval = Assert.Single(await ListAsync(alice, $"/v1/approvals?sessionId={id}", ct));
        Assert.Equal("expired", approval["status"]!.GetValue<string>());
        Assert.Equal("expired", events.Single(e => e["type"]!.GetValue<string>() == "approval_decided")["metadata"]!["decision"]!.GetValue<string>());
    }

    [Fact]
    public async Task ARunnerRestartExpiresWhatItsInterruptedSessionsWaitedFor()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        using var alice = fleet.ClientAs(Alice);
        var id = await StartAsync(alice, RemoveBuild, ct);
        await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "waiting_approval", ct, seconds: 120);
        var approvalId = Assert.Single(await ListAsync(alice, $"/v1/approvals?status=pending&sessionId={id}", ct))["approvalId"]!.GetValue<string>();

        await fleet.RestartRunnerAsync(ct);

        await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "interrupted", ct);
        var approval = await alice.GetFromJsonAsync<JsonObject>($"/v1/approvals/{approvalId}", ct);
        Assert.Equal("expired", approval!["status"]!.GetValue<string>());
        Assert.Contains("runner restarted", approval["message"]!.GetValue<string>());
        using var late = await alice.PostAsync($"/v1/approvals/{approvalId}/approve", null, ct);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
    }

    private static Task<string> StartAsync(HttpClient client, string task, CancellationToken ct) =>
        Fleet.StartSessionAsync(client, new { agent = "claude", task }, ct);

    private static async Task<List<JsonObject>> ListAsync(HttpClient client, string path, CancellationToken ct)
    {
        var page = await client.GetFromJsonAsync<JsonObject>(path, ct);
        return [.. page!["items"]!.AsArray().Select(a => a!.AsObject())];
    }
}
