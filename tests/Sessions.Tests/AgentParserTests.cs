using AgentFleet.SessionRunner.Agents;

namespace AgentFleet.Sessions.Tests;

/// <summary>
/// The gemini and codex output parsers, fed transcripts written from each CLI's documented JSONL format
/// (gemini-cli packages/core/src/output/types.ts, codex-rs/exec/src/exec_events.rs).
/// </summary>
public sealed class AgentParserTests
{
    [Fact]
    public void GeminiStreamBecomesTextToolUseToolResultAndComplete()
    {
        var parser = new GeminiOutputParser();
        var events = Run(parser, Fixture("gemini-stream.jsonl"));

        // The echoed user prompt is dropped; each assistant delta is one text event.
        Assert.Equal("status text text tool_use tool_result text usage complete", Types(events));
        Assert.All(events, e => Assert.NotNull(e.Raw));
        Assert.Equal("3f6b2c1e-9d4a-4e7b-8c21-5a0d7e9f1b64", parser.AgentSessionId);
        Assert.True(parser.CompletionSeen);

        Assert.Equal("3f6b2c1e-9d4a-4e7b-8c21-5a0d7e9f1b64", Text(events[0], "agentSessionId"));
        Assert.Equal("gemini-2.5-pro", Text(events[0], "model"));
        Assert.All(new[] { events[1], events[2], events[5] }, e => Assert.Equal(EventTypes.Assistant, e.Role));
        Assert.Equal("I'll create `hello.txt`", events[1].Content);
        Assert.Equal(" with the requested line.", events[2].Content);
        Assert.Equal("Created `hello.txt`.", events[5].Content);

        var toolUse = events[3];
        Assert.Equal(EventTypes.Assistant, toolUse.Role);
        Assert.Equal("write_file", toolUse.Content);
        Assert.Equal("write_file", Text(toolUse, "name"));
        Assert.Equal("write_file-1768471203517-9c4e1f0a2b7d6", Text(toolUse, "toolUseId"));
        Assert.Equal("Hello, world\n", toolUse.Metadata!["input"]!["content"]!.GetValue<string>());

        var toolResult = events[4];
        Assert.Equal(EventTypes.Tool, toolResult.Role);
        Assert.Equal("write_file-1768471203517-9c4e1f0a2b7d6", Text(toolResult, "toolUseId"));
        Assert.False(toolResult.Metadata!["isError"]!.GetValue<bool>());

        // input_tokens 8312 holds the 4096 cached ones: inputTokens is the uncached rest.
        Assert.Equal(4216L, Number(events[6], "inputTokens"));
        Assert.Equal(61L, Number(events[6], "outputTokens"));
        Assert.Equal(4096L, Number(events[6], "cacheReadTokens"));

        var complete = events[7];
        Assert.Equal(EventTypes.System, complete.Role);
        Assert.Equal("success", Text(complete, "status"));
        Assert.Equal(5234L, Number(complete, "durationMs"));
        Assert.Equal(1L, Number(complete, "toolCalls"));
        Assert.Equal(4216L, Number(complete, "inputTokens"));
    }

    [Fact]
    public void GeminiToolErrorIsMarkedAndWarningStaysALogWhileAnErrorIsAnError()
    {
        var parser = new GeminiOutputParser();
        var events = Run(parser,
        [
            """{"type":"tool_result","timestamp":"2026-01-15T10:00:03.604Z","tool_id":"read_file-1","status":"error","error":{"type":"FILE_NOT_FOUND","message":"File not found: a.txt"}}""",
            """{"type":"error","timestamp":"2026-01-15T10:00:04.000Z","severity":"warning","message":"Loop detected, stopping execution"}""",
            """{"type":"error","timestamp":"2026-01-15T10:00:05.000Z","severity":"error","message":"Maximum session turns exceeded"}""",
        ]);

        Assert.Equal("tool_result log error", Types(events));
        Assert.Equal("File not found: a.txt", events[0].Content);
        Assert.True(events[0].Metadata!["isError"]!.GetValue<bool>());
        Assert.Equal("Loop detected, stopping execution", events[1].Content);
        Assert.Equal("Maximum session turns exceeded", events[2].Content);
        Assert.False(parser.CompletionSeen);
    }

    [Fact]
    public void CodexExecBecomesThinkingTextToolUseToolResultAndComplete()
    {
        var parser = new CodexOutputParser();
        var events = Run(parser, Fixture("codex-exec.jsonl"));

        // turn.started is dropped; file_change comes only as item.completed and still gets its tool_use first.
        Assert.Equal("status thinking tool_use tool_result text tool_use tool_result text usage complete", Types(events));
        Assert.All(events, e => Assert.NotNull(e.Raw));
        Assert.Equal("0199c6a2-5f3e-7c21-9a4b-2d8e6f1b3c57", parser.AgentSessionId);
        Assert.Equal("0199c6a2-5f3e-7c21-9a4b-2d8e6f1b3c57", Text(events[0], "agentSessionId"));
        Assert.True(parser.CompletionSeen);

        Assert.StartsWith("**Creating hello.txt**", events[1].Content);
        Assert.Equal("The directory only has a README; adding hello.txt now.", events[4].Content);
        Assert.Equal("Created hello.txt containing \"Hello, world\".", events[7].Content);

        Assert.Equal("command_execution", events[2].Content);
        Assert.Equal("item_1", Text(events[2], "toolUseId"));
        Assert.Equal("/bin/bash -lc ls", events[2].Metadata!["input"]!["command"]!.GetValue<string>());
        Assert.Equal("item_1", Text(events[3], "toolUseId"));
        Assert.Equal("README.md\n", events[3].Content);
        Assert.False(events[3].Metadata!["isError"]!.GetValue<bool>());
        Assert.Equal(0L, Number(events[3], "exitCode"));

        Assert.Equal("file_change", events[5].Content);
        Assert.Equal("item_3", Text(events[5], "toolUseId"));
        Assert.Equal("item_3", Text(events[6], "toolUseId"));
        Assert.Equal("add /srv/fleet/sessions/5d1e8c2a/hello.txt", events[6].Content);

        // input_tokens 18204 holds the 14336 cached ones: inputTokens is the uncached rest.
        Assert.Equal(3868L, Number(events[8], "inputTokens"));
        Assert.Equal(412L, Number(events[8], "outputTokens"));
        Assert.Equal(14336L, Number(events[8], "cacheReadTokens"));
        Assert.Equal("completed", Text(events[9], "status"));
        Assert.Equal(412L, Number(events[9], "outputTokens"));
    }

    [Fact]
    public void CodexFailedTurnBecomesAnErrorAndAFailedComplete()
    {
        var parser = new CodexOutputParser();
        var events = Run(parser,
        [
            """{"type":"thread.started","thread_id":"t-1"}""",
            """{"type":"error","message":"Reconnecting... 1/5"}""",
            """{"type":"turn.failed","error":{"message":"stream disconnected before completion"}}""",
        ]);

        Assert.Equal("status error error complete", Types(events));
        Assert.Equal("Reconnecting... 1/5", events[1].Content);
        Assert.Equal("stream disconnected before completion", events[2].Content);
        Assert.Equal("failed", Text(events[3], "status"));
        Assert.True(parser.CompletionSeen);
    }

    [Fact]
    public void CodexWebSearchWithTwoIdKeysStillPairsItsToolUseAndResult()
    {
        var parser = new CodexOutputParser();
        var events = Run(parser,
        [
            """{"type":"item.started","item":{"id":"item_1","type":"web_search","id":"ws_08df","query":"","action":{"type":"other"}}}""",
            """{"type":"item.completed","item":{"id":"item_1","type":"web_search","id":"ws_08df","query":"dotnet 10 release","action":{"type":"other"}}}""",
        ]);

        Assert.Equal("tool_use tool_result", Types(events));
        Assert.Equal("web_search", events[0].Content);
        Assert.Equal(Text(events[0], "toolUseId"), Text(events[1], "toolUseId"));
        Assert.Equal("dotnet 10 release", events[1].Content);
    }

    [Fact]
    public void NonJsonLinesStandardErrorAndUnknownEventTypesBecomeLogEvents()
    {
        AgentOutputParser[] parsers = [new GeminiOutputParser(), new CodexOutputParser()];
        foreach (var parser in parsers)
        {
            var events = Run(parser, ["Loaded cached credentials.", """{"type":"brand_new_event","x":1}""", "{not json"]);
            parser.Parse("""{"type":"init","session_id":"from-stderr"}""", isStandardError: true, events);

            Assert.Equal("log log log log", Types(events));
            Assert.All(events, e => Assert.Equal(EventTypes.System, e.Role));
            Assert.Equal("Loaded cached credentials.", events[0].Content);
            Assert.Equal("""{"type":"brand_new_event","x":1}""", events[1].Content);
            Assert.Equal("""{"type":"brand_new_event","x":1}""", events[1].Raw);
            Assert.Equal("{not json", events[2].Content);
            Assert.Equal("stderr", Text(events[3], "stream"));
            Assert.Null(parser.AgentSessionId);
            Assert.False(parser.CompletionSeen);
        }
    }

    private static string[] Fixture(string name) =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    private static List<AgentEvent> Run(AgentOutputParser parser, IEnumerable<string> lines)
    {
        var events = new List<AgentEvent>();
        foreach (var line in lines)
        {
            parser.Parse(line, isStandardError: false, events);
        }
        return events;
    }

    private static string Types(IEnumerable<AgentEvent> events) => string.Join(' ', events.Select(e => e.Type));

    private static string? Text(AgentEvent e, string key) => e.Metadata?[key]?.GetValue<string>();

    private static long Number(AgentEvent e, string key) => e.Metadata![key]!.GetValue<long>();
}
