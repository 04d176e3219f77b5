using System.Text.Json;
using System.Text.Json.Nodes;
using static AgentFleet.SessionRunner.Agents.JsonLine;

namespace AgentFleet.SessionRunner.Agents;

/// <summary>
/// Reads <c>claude -p … --output-format stream-json --verbose --include-partial-messages</c>: system, stream_event,
/// assistant, user and result lines. Token deltas become text events as they arrive; complete tool calls come
/// from the assistant message (the deltas of their input are partial JSON); the result line becomes complete.
/// </summary>
public sealed class ClaudeOutputParser : JsonLinesOutputParser
{
    // Messages whose text already streamed as deltas: their assistant echo must not repeat it.
    private readonly HashSet<string> _streamedMessages = [];
    private JsonElement _messageStartUsage;
    private string? _currentMessageId;

    protected override void Map(JsonElement root, string line, ICollection<AgentEvent> events)
    {
        switch (Str(root, "type"))
        {
            case "system" when Str(root, "subtype") == "init":
                AgentSessionId = Str(root, "session_id") ?? AgentSessionId;
                events.Add(new AgentEvent(EventTypes.Status, EventTypes.System, "Agent started",
                    Compact(new JsonObject { ["agentSessionId"] = AgentSessionId, ["model"] = Str(root, "model"), ["cwd"] = Str(root, "cwd") }), line));
                break;
            case "system" when Str(root, "subtype") == "status":
                // "requesting" before each model call: progress noise, not something a client reads.
                break;
            case "stream_event":
                StreamEvent(Prop(root, "event"), line, events);
                break;
            case "assistant":
                AssistantMessage(Prop(root, "message"), line, events);
                break;
            case "user":
                ToolResults(Prop(root, "message"), line, events);
                break;
            case "result":
                Result(root, line, events);
                break;
            default:
                events.Add(Log(line, isStandardError: false, raw: line));
                break;
        }
    }

    private void StreamEvent(JsonElement streamEvent, string line, ICollection<AgentEvent> events)
    {
        switch (Str(streamEvent, "type"))
        {
            case "message_start":
                var message = Prop(streamEvent, "message");
                _currentMessageId = Str(message, "id");
                _messageStartUsage = Prop(message, "usage").Clone();
                break;
            case "content_block_delta":
                var delta = Prop(streamEvent, "delta");
                var (type, text) = Str(delta, "type") switch
                {
                    "text_delta" => (EventTypes.Text, Str(delta, "text")),
                    "thinking_delta" => (EventTypes.Thinking, Str(delta, "thinking")),
                    _ => (null, null),
                };
                if (type is not null && !string.IsNullOrEmpty(text))
                {
                    if (_currentMessageId is not null)
                    {
                        _streamedMessages.Add(_currentMessageId);
                    }
                    events.Add(new AgentEvent(type, EventTypes.Assistant, text,
                        Compact(new JsonObject { ["messageId"] = _currentMessageId, ["index"] = Num(streamEvent, "index") }), line));
                }
                break;
            case "message_delta":
                var usage = Prop(streamEvent, "usage");
                events.Add(new AgentEvent(EventTypes.Usage, EventTypes.System, null, Compact(new JsonObject
                {
                    ["messageId"] = _currentMessageId,
                    ["inputTokens"] = Num(usage, "input_tokens") ?? Num(_messageStartUsage, "input_tokens"),
                    ["outputTokens"] = Num(usage, "output_tokens"),
                    ["cacheReadTokens"] = Num(usage, "cache_read_input_tokens") ?? Num(_messageStartUsage, "cache_read_input_tokens"),
                    ["cacheCreationTokens"] = Num(usage, "cache_creation_input_tokens") ?? Num(_messageStartUsage, "cache_creation_input_tokens"),
                    ["stopReason"] = Str(Prop(streamEvent, "delta"), "stop_reason"),
                }), line));
                break;
            // message_start's content, content_block_start/stop, input_json_delta and message_stop carry nothing a client needs.
        }
    }

    private void AssistantMessage(JsonElement message, string line, ICollection<AgentEvent> events)
    {
        var streamed = Str(message, "id") is { } id && _streamedMessages.Contains(id);
        foreach (var block in Blocks(message))
        {
            switch (Str(block, "type"))
            {
                case "tool_use":
                    var name = Str(block, "name");
                    events.Add(new AgentEvent(EventTypes.ToolUse, EventTypes.Assistant, name,
                        Compact(new JsonObject { ["toolUseId"] = Str(block, "id"), ["name"] = name, ["input"] = Node(Prop(block, "input")) }), line));
                    break;
                case "text" when !streamed && Str(block, "text") is { Length: > 0 } text:
                    events.Add(new AgentEvent(EventTypes.Text, EventTypes.Assistant, text, Raw: line));
                    break;
                case "thinking" when !streamed && Str(block, "thinking") is { Length: > 0 } thinking:
                    events.Add(new AgentEvent(EventTypes.Thinking, EventTypes.Assistant, thinking, Raw: line));
                    break;
            }
        }
    }

    private static void ToolResults(JsonElement message, string line, ICollection<AgentEvent> events)
    {
        foreach (var block in Blocks(message))
        {
            if (Str(block, "type") != "tool_result")
            {
                continue;
            }
            var content = Prop(block, "content");
            var text = content.ValueKind == JsonValueKind.Array
                ? string.Join("\n", content.EnumerateArray().Select(part => Str(part, "text")).OfType<string>())
                : Str(block, "content");
            events.Add(new AgentEvent(EventTypes.ToolResult, EventTypes.Tool, text,
                new JsonObject { ["toolUseId"] = Str(block, "tool_use_id"), ["isError"] = Bool(block, "is_error") ?? false }, line));
        }
    }

    private void Result(JsonElement root, string line, ICollection<AgentEvent> events)
    {
        CompletionSeen = true;
        AgentSessionId = Str(root, "session_id") ?? AgentSessionId;
        ResultIsError = Bool(root, "is_error") ?? Str(root, "subtype") != "success";
        TotalCostUsd = Dbl(root, "total_cost_usd") ?? 0;
        var usage = Prop(root, "usage");
        events.Add(new AgentEvent(EventTypes.Complete, EventTypes.System, Str(root, "result"), Compact(new JsonObject
        {
            ["subtype"] = Str(root, "subtype"),
            ["isError"] = ResultIsError,
            ["totalCostUsd"] = TotalCostUsd,
            ["durationMs"] = Num(root, "duration_ms"),
            ["numTurns"] = Num(root, "num_turns"),
            ["usage"] = Compact(new JsonObject
            {
                ["inputTokens"] = Num(usage, "input_tokens"),
                ["outputTokens"] = Num(usage, "output_tokens"),
                ["cacheReadTokens"] = Num(usage, "cache_read_input_tokens"),
                ["cacheCreationTokens"] = Num(usage, "cache_creation_input_tokens"),
            }),
            ["agentSessionId"] = AgentSessionId,
        }), line));
    }

    private static IEnumerable<JsonElement> Blocks(JsonElement message) =>
        Prop(message, "content") is { ValueKind: JsonValueKind.Array } content ? content.EnumerateArray() : [];
}
