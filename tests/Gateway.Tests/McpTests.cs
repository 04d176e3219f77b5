using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text.Json.Nodes;
using AgentFleet.Gateway.Tests.Fixtures;

namespace AgentFleet.Gateway.Tests;

/// <summary>
/// The official MCP TypeScript SDK (npm @modelcontextprotocol/sdk, pinned in mcp-client/) reaches the fleet's tools
/// through the gateway's /mcp with a real key, and gets exactly that key's rights.
/// </summary>
public sealed class McpTests(GatewayFixture fleet)
{
    private static readonly string ClientDirectory =
        typeof(McpTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "McpClientDirectory").Value!;

    [Fact]
    public async Task TheTypeScriptSdkListsTheToolsRunsASessionAndReadsItsTranscript()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, key) = await fleet.CreateKeyAsync("operator", ct);
        var seen = await RunClientAsync(key, "run", ct);

        Assert.Equal("agent-fleet", seen["server"]!.GetValue<string>());
        var tools = seen["tools"]!.AsArray().Select(t => t!.GetValue<string>()).ToList();
        Assert.Contains("create_session", tools);
        Assert.Contains("wait_for_session", tools);
        Assert.Contains("submit_workflow", tools);
        // Each tool says what it takes, as JSON Schema.
        Assert.Equal("object", seen["createSchema"]!["type"]!.GetValue<string>());
        Assert.NotNull(seen["createSchema"]!["properties"]!["task"]);

        Assert.NotEqual(true, seen["created"]!["isError"]?.GetValue<bool>());
        var sessionId = seen["created"]!["structuredContent"]!["sessionId"]!.GetValue<string>();
        var waited = seen["waited"]!["structuredContent"]!;
        Assert.Equal("completed", waited["session"]!["status"]!.GetValue<string>());
        Assert.False(waited["timedOut"]!.GetValue<bool>());
        Assert.True(seen["progress"]!.GetValue<int>() > 0, "wait_for_session sent no progress while the session ran");
        Assert.Contains("fleet://sessions/{sessionId}/messages{?since,limit}", seen["resourceTemplates"]!.AsArray().Select(t => t!.GetValue<string>()));
        var events = seen["transcript"]!["events"]!.AsArray();
        Assert.Contains(events, e => e!["type"]!.GetValue<string>() == "log" && e["content"]!.GetValue<string>() == "from the ts sdk");
        Assert.All(events, e => Assert.Equal(sessionId, e!["sessionId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task AViewersCreateSessionIsAToolErrorAndItSeesOnlyItsOwnersSessions()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, key) = await fleet.CreateKeyAsync("viewer", ct, owner: $"mcp-viewer-{Guid.NewGuid():N}");
        var seen = await RunClientAsync(key, "viewer", ct);

        Assert.True(seen["created"]!["isError"]!.GetValue<bool>());
        Assert.Contains("operator role", seen["created"]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("insufficient_role", seen["created"]!["structuredContent"]!["code"]!.GetValue<string>());
        Assert.Equal(0, seen["listed"]!["structuredContent"]!["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task McpNeedsAKeyAtTheGateway()
    {
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = fleet.Client(null);
        using var response = await anonymous.PostAsync("/mcp", new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""",
            System.Text.Encoding.UTF8, "application/json"), ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task TheStdioRelayReachesTheToolsThroughTheGateway()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, key) = await fleet.CreateKeyAsync("viewer", ct);
        var answers = await AgentFleet.Testing.FleetMcpRelay.RunAsync(typeof(McpTests).Assembly, fleet.Gateway.HttpUrl, key,
        [
            """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"stdio","version":"1"}}}""",
            """{"jsonrpc":"2.0","method":"notifications/initialized"}""",
            """{"jsonrpc":"2.0","id":2,"method":"tools/list"}""",
            """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_templates","arguments":{}}}""",
        ], ct);
        var byId = answers.Select(a => JsonNode.Parse(a)!.AsObject()).Where(a => a["id"] is not null).ToDictionary(a => a["id"]!.GetValue<int>());
        Assert.Equal("2025-06-18", byId[1]["result"]!["protocolVersion"]!.GetValue<string>());
        Assert.Contains(byId[2]["result"]!["tools"]!.AsArray(), t => t!["name"]!.GetValue<string>() == "wait_for_session");
        Assert.Contains("templates", byId[3]["result"]!["content"]![0]!["text"]!.GetValue<string>());
    }

    private async Task<JsonObject> RunClientAsync(string key, string scenario, CancellationToken cancellationToken)
    {
        AgentFleet.AppHost.Agents.NpmPackages.EnsureInstalled(ClientDirectory);
        var start = new ProcessStartInfo("node") { WorkingDirectory = ClientDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "client.mjs", fleet.Gateway.HttpUrl, key, scenario })
        {
            start.ArgumentList.Add(argument);
        }
        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = node.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await node.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            throw;
        }
        var stdout = await output;
        Assert.True(node.ExitCode == 0, $"node exited {node.ExitCode}: {await errors}\n{stdout}");
        return JsonNode.Parse(stdout.Trim().Split('\n')[^1])!.AsObject();
    }
}
