using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using AgentFleet.AgentControl;
using AgentFleet.Sessions.Tests.Fixtures;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace AgentFleet.Sessions.Tests;

/// <summary>The fleet's MCP tools over the agent-control port (JSON-RPC 2.0 over TCP), with the C# MCP client and by hand.</summary>
public sealed class AgentControlTests(SessionsFixture infrastructure)
{
    [Fact]
    public async Task TheCSharpClientRunsASessionAndReadsItsTranscript()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        await using var client = await AgentControlClient.ConnectAsync(Options(fleet), cancellationToken: ct);
        var mcp = await client.McpAsync(ct);

        var tools = (await mcp.ListToolsAsync(cancellationToken: ct)).Select(t => t.Name).ToList();
        foreach (var name in new[] { "create_session", "list_sessions", "get_session", "get_session_messages", "wait_for_session", "stop_session",
                     "pause_session", "resume_session", "list_approvals", "decide_approval", "list_templates", "get_usage", "get_status", "submit_workflow", "get_workflow" })
        {
            Assert.Contains(name, tools);
        }

        var created = await client.CallToolAsync("create_session",
            new Dictionary<string, object?> { ["agent"] = "command", ["command"] = new[] { "sh", "-c", "sleep 1; echo one; echo two" }, ["task"] = "count to two" }, cancellationToken: ct);
        Assert.True(created.IsError is not true, Text(created));
        var sessionId = created.StructuredContent!.Value.GetProperty("sessionId").GetString()!;
        Assert.Contains(sessionId, Text(created));

        var progress = new List<ProgressNotificationValue>();
        var waited = await client.CallToolAsync("wait_for_session", new Dictionary<string, object?> { ["sessionId"] = sessionId, ["timeoutSeconds"] = 60 },
            new SynchronousProgress(progress), ct);
        Assert.True(waited.IsError is not true, Text(waited));
        Assert.Equal("completed", waited.StructuredContent!.Value.GetProperty("session").GetProperty("status").GetString());
        Assert.False(waited.StructuredContent!.Value.GetProperty("timedOut").GetBoolean());
        // Each event the wait saw was reported as progress while it waited.
        lock (progress)
        {
            Assert.Contains(progress, p => p.Message == "log: one");
        }

        var transcript = await mcp.ReadResourceAsync($"fleet://sessions/{sessionId}/messages", cancellationToken: ct);
        var events = JsonNode.Parse(((TextResourceContents)transcript.Contents[0]).Text)!["events"]!.AsArray();
        Assert.Equal(["one", "two"], events.Where(e => e!["type"]!.GetValue<string>() == "log").Select(e => e!["content"]!.GetValue<string>()));
        // The same events as REST shows, in the same order.
        Assert.Equal((await fleet.MessagesAsync(sessionId, ct)).Select(e => e["sequence"]!.GetValue<long>()), events.Select(e => e!["sequence"]!.GetValue<long>()));
    }

    [Fact]
    public async Task ARefusalIsAToolErrorThatNamesWhatToFix()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        await using var client = await AgentControlClient.ConnectAsync(Options(fleet), cancellationToken: ct);

        var invalid = await client.CallToolAsync("create_session", new Dictionary<string, object?> { ["agent"] = "robot", ["task"] = "x" }, cancellationToken: ct);
        Assert.True(invalid.IsError);
        Assert.Contains("agent must be one of", Text(invalid));
        Assert.Equal("validation_failed", invalid.StructuredContent!.Value.GetProperty("code").GetString());

        var missing = await client.CallToolAsync("get_session", new Dictionary<string, object?> { ["sessionId"] = Guid.NewGuid().ToString() }, cancellationToken: ct);
        Assert.True(missing.IsError);
        Assert.Equal("not_found", missing.StructuredContent!.Value.GetProperty("code").GetString());

        await Assert.ThrowsAsync<AgentControlException>(() => AgentControlClient.ConnectAsync(
            new AgentControlOptions { Port = fleet.AgentControlPort, ApiKey = "fleet_not-a-key" }, cancellationToken: ct));
    }

    [Fact]
    public async Task BadLinesGetTheirJsonRpcErrorsAndTheConnectionStaysUsable()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        using var socket = new TcpClient();
        await socket.ConnectAsync("127.0.0.1", fleet.AgentControlPort, ct);
        var line = new LineChannel(socket.GetStream());

        // Nothing but authenticate before authenticating.
        var early = await line.AskAsync("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", ct);
        Assert.Equal(-32001, ErrorCode(early));
        Assert.Equal(-32700, ErrorCode(await line.AskAsync("this is not json", ct)));
        Assert.Equal(-32001, ErrorCode(await line.AskAsync("""{"jsonrpc":"2.0","id":2,"method":"authenticate","params":{"apiKey":"wrong"}}""", ct)));
        Assert.Equal(-32602, ErrorCode(await line.AskAsync("""{"jsonrpc":"2.0","id":3,"method":"authenticate","params":{}}""", ct)));

        var authenticated = await line.AskAsync($$$"""{"jsonrpc":"2.0","id":4,"method":"authenticate","params":{"apiKey":"{{{Fleet.AdminKey}}}"}}""", ct);
        Assert.True(authenticated["result"]!["authenticated"]!.GetValue<bool>());
        Assert.Equal("admin", authenticated["result"]!["role"]!.GetValue<string>());

        var initialized = await line.AskAsync(
            """{"jsonrpc":"2.0","id":5,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"plain","version":"1"}}}""", ct);
        Assert.Equal("agent-fleet", initialized["result"]!["serverInfo"]!["name"]!.GetValue<string>());
        await line.SendAsync("""{"jsonrpc":"2.0","method":"notifications/initialized"}""", ct);

        var unknown = await line.AskAsync("""{"jsonrpc":"2.0","id":6,"method":"no/such/method"}""", ct);
        Assert.Equal(-32601, ErrorCode(unknown));
        Assert.Equal(6, unknown["id"]!.GetValue<int>());
        Assert.Equal(-32602, ErrorCode(await line.AskAsync("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}""", ct)));
        Assert.Equal(-32700, ErrorCode(await line.AskAsync("{\"jsonrpc\":\"2.0\",\"id\":8,", ct)));
        Assert.Equal(-32600, ErrorCode(await line.AskAsync("""{"id":9,"method":"tools/list"}""", ct)));

        // After all that, the same connection still serves.
        var tools = await line.AskAsync("""{"jsonrpc":"2.0","id":10,"method":"tools/list"}""", ct);
        Assert.Contains(tools["result"]!["tools"]!.AsArray(), t => t!["name"]!.GetValue<string>() == "create_session");
        var status = await line.AskAsync("""{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"get_status","arguments":{}}}""", ct);
        Assert.Contains("workers busy", status["result"]!["content"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task AConnectionKilledMidSubscriptionIsResumedWithNoEventLostOrRepeated()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        await using var client = await AgentControlClient.ConnectAsync(Options(fleet), cancellationToken: ct);
        var sessionId = await fleet.StartSessionAsync(new
        {
            agent = "command",
            command = new[] { "sh", "-c", "for i in $(seq 1 80); do echo line $i; sleep 0.05; done" },
            task = "count slowly",
        }, ct);

        var received = new List<long>();
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tenIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var subscription = await client.SubscribeToSessionAsync(Guid.Parse(sessionId), 0, sessionEvent =>
        {
            lock (received)
            {
                received.Add(sessionEvent["sequence"]!.GetValue<long>());
                if (received.Count >= 10)
                {
                    tenIn.TrySetResult();
                }
            }
            if (sessionEvent["type"]!.GetValue<string>() is "complete" or "error")
            {
                ended.TrySetResult();
            }
            return ValueTask.CompletedTask;
        }, ct);

        await tenIn.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        // The server dies under the client mid-stream (SIGKILL), and comes back on the same port.
        await fleet.RestartApiAsync(ct);
        await ended.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);

        Assert.True(client.Reconnects >= 1, "the client never reconnected");
        var all = (await fleet.MessagesAsync(sessionId, ct)).Select(e => e["sequence"]!.GetValue<long>()).ToList();
        lock (received)
        {
            Assert.Equal(all, received);
        }
        Assert.Equal(80, (await fleet.MessagesAsync(sessionId, ct)).Count(e => e["type"]!.GetValue<string>() == "log"));
    }

    [Fact]
    public async Task ASlowReaderIsDisconnectedWithAReasonAndDoesNotStallOthers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct, api: new() { ["Mcp__MaxQueuedMessages"] = "32" });
        using var slow = new TcpClient { ReceiveBufferSize = 4096 };
        await slow.ConnectAsync("127.0.0.1", fleet.AgentControlPort, ct);
        var line = new LineChannel(slow.GetStream());
        await line.AskAsync($$$"""{"jsonrpc":"2.0","id":0,"method":"authenticate","params":{"apiKey":"{{{Fleet.AdminKey}}}"}}""", ct);
        // Thousands of requests whose answers (the tool list, kilobytes each) this client does not read.
        var flood = new StringBuilder();
        for (var i = 1; i <= 3000; i++)
        {
            flood.Append($$"""{"jsonrpc":"2.0","id":{{i}},"method":"tools/list"}""").Append('\n');
        }
        await slow.GetStream().WriteAsync(Encoding.UTF8.GetBytes(flood.ToString()), ct);

        // Meanwhile another client is served as usual.
        await using var other = await AgentControlClient.ConnectAsync(Options(fleet), cancellationToken: ct);
        var listed = await other.CallToolAsync("list_sessions", cancellationToken: ct).WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.True(listed.IsError is not true, Text(listed));

        // The slow client, reading at last, gets what was queued, then the reason, then the end of the connection.
        string? last = null;
        var lines = 0;
        while (await line.ReadLineAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct) is { } next)
        {
            last = next;
            lines++;
        }
        Assert.True(lines < 3000, $"all {lines} answers arrived: the client was never cut off");
        Assert.Contains("notifications/fleet/closing", last);
        Assert.Contains("read too slowly", last);
    }

    [Fact]
    public async Task TheStdioRelayAuthenticatesOnThePortAndRelaysLines()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        var answers = await AgentFleet.Testing.FleetMcpRelay.RunAsync(typeof(AgentControlTests).Assembly, $"tcp://127.0.0.1:{fleet.AgentControlPort}", Fleet.AdminKey,
        [
            """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"stdio","version":"1"}}}""",
            """{"jsonrpc":"2.0","method":"notifications/initialized"}""",
            """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_status","arguments":{}}}""",
        ], ct);
        var byId = answers.Select(a => JsonNode.Parse(a)!.AsObject()).Where(a => a["id"] is not null).ToDictionary(a => a["id"]!.GetValue<int>());
        Assert.Equal("agent-fleet", byId[1]["result"]!["serverInfo"]!["name"]!.GetValue<string>());
        Assert.Contains("workers busy", byId[2]["result"]!["content"]![0]!["text"]!.GetValue<string>());
    }

    private static AgentControlOptions Options(Fleet fleet) => new() { Port = fleet.AgentControlPort, ApiKey = Fleet.AdminKey };

    private static string Text(CallToolResult result) => string.Join("\n", result.Content.OfType<TextContentBlock>().Select(c => c.Text));

    private static int ErrorCode(JsonObject answer) => answer["error"]!["code"]!.GetValue<int>();

    /// <summary>Progress as it is reported, without the thread-pool hop of <see cref="Progress{T}"/>.</summary>
    private sealed class SynchronousProgress(List<ProgressNotificationValue> into) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value)
        {
            lock (into)
            {
                into.Add(value);
            }
        }
    }

    /// <summary>One JSON-RPC message per line, by hand, as a plain client would speak it.</summary>
    private sealed class LineChannel(NetworkStream stream)
    {
        private readonly StreamReader _reader = new(stream, Encoding.UTF8);

        public Task SendAsync(string message, CancellationToken cancellationToken) =>
            stream.WriteAsync(Encoding.UTF8.GetBytes(message + "\n"), cancellationToken).AsTask();

        public async Task<JsonObject> AskAsync(string message, CancellationToken cancellationToken)
        {
            await SendAsync(message, cancellationToken);
            var answer = await ReadLineAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken)
                ?? throw new IOException("The connection closed.");
            return JsonNode.Parse(answer)!.AsObject();
        }

        public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            try
            {
                return await _reader.ReadLineAsync(cancellationToken);
            }
            catch (IOException)
            {
                return null;
            }
        }
    }
}
