using AgentFleet.Testing;
using AgentFleet.Sessions.Tests.Fixtures;

namespace AgentFleet.Sessions.Tests;

/// <summary>The real Claude Code CLI, spawned by the runner, its output streamed through ManagementApi.</summary>
public sealed class ClaudeSessionTests(SessionsFixture infrastructure)
{
    [Fact]
    public async Task ClaudeSessionWritesTheFileAndStreamsOrderedEvents()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        var (response, created) = await fleet.PostJsonAsync("/v1/sessions",
            new { agent = "claude", task = "Create the greeting file.\n#sim tool Write {\"file_path\": \"hello.txt\", \"content\": \"hello from the agent\\n\"}" }, ct);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"{response.StatusCode}: {created}\n{fleet.Runner.Output}");
        var id = created!["sessionId"]!.GetValue<string>();
        var sessionDir = created["sessionDir"]!.GetValue<string>();
        Assert.StartsWith(fleet.RunnerRoot, sessionDir);

        var streamed = new List<SseEvent>();
        await foreach (var sse in SseClient.ReadAsync(fleet.Http, $"/v1/sessions/{id}/events", null, ct))
        {
            streamed.Add(sse);
        }

        // The stream ended by itself, with the run's end.
        Assert.Equal("agent:complete", streamed[^1].Name);
        var sequences = streamed.Select(e => long.Parse(e.Id!)).ToList();
        Assert.Equal(Enumerable.Range(1, sequences.Count).Select(i => (long)i), sequences);
        var types = streamed.Select(e => e.Json["type"]!.GetValue<string>()).ToList();
        var order = new[] { "text", "tool_use", "tool_result", "complete" }.Select(t => types.IndexOf(t)).ToList();
        Assert.True(!order.Contains(-1), string.Join("\n", streamed.Select(e => e.Data)));
        Assert.Equal(order.Order(), order);
        var toolUse = streamed.First(e => e.Json["type"]!.GetValue<string>() == "tool_use").Json;
        Assert.Equal("Write", toolUse["metadata"]!["name"]!.GetValue<string>());
        var text = string.Concat(streamed.Where(e => e.Json["type"]!.GetValue<string>() == "text").Select(e => e.Json["content"]!.GetValue<string>()));
        Assert.StartsWith("Calling Write.", text);
        Assert.Contains("Done.", text);

        Assert.Equal("hello from the agent\n", await File.ReadAllTextAsync(Path.Combine(sessionDir, "hello.txt"), ct));
        var session = await fleet.GetSessionAsync(id, ct);
        Assert.Equal("completed", Fleet.StatusOf(session));
        Assert.Equal(0, session["exitCode"]!.GetValue<int>());
        Assert.True(session["totalCostUsd"]!.GetValue<double>() > 0);
        Assert.True(session["usage"]!["outputTokens"]!.GetValue<long>() > 0);
        Assert.False(string.IsNullOrEmpty(session["agentSessionId"]?.GetValue<string>()));

        // History is the same events, and the agent reached the model through ZaiProxy with its per-session key:
        // the proxy accepted it and put the calls (one per turn) down to this session.
        var history = await fleet.MessagesAsync(id, ct);
        Assert.Equal(sequences, history.Select(e => e["sequence"]!.GetValue<long>()));
        var usage = await infrastructure.ProxyUsageAsync(Guid.Parse(id), expected: 2, ct);
        Assert.True(usage.Count >= 2, $"{usage.Count} model calls recorded for the session");
        Assert.All(usage, keyId => Assert.Equal($"session:{Guid.Parse(id)}", keyId));
    }
}
