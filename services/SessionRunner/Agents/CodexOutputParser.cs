using System.Text.Json;
using System.Text.Json.Nodes;
using static AgentFleet.SessionRunner.Agents.JsonLine;

namespace AgentFleet.SessionRunner.Agents;

/// <summary>
/// Reads <c>codex exec --json</c>: one thread event a line (thread.*, turn.*, item.* and error;
/// codex-rs/exec/src/exec_events.rs in openai/codex).
/// </summary>
public sealed class CodexOutputParser : JsonLinesOutputParser
{
    // Tool items whose tool_use was emitted and whose result has not come yet.
    private readonly HashSet<string> _openTools = [];

    protected override void Map(JsonElement root, string line, ICollection<AgentEvent> events)
    {
        var type = Str(root, "type");
        switch (type)
        {
            case "thread.started":
                AgentSessionId = Str(root, "thread_id") ?? AgentSessionId;
                events.Add(new AgentEvent(EventTypes.Status, EventTypes.System, "started",
                    Compact(new JsonObject { ["agentSessionId"] = AgentSessionId }), line));
                break;
            case "turn.started":
                // One turn per exec run: its start says nothing the thread start did not.
                break;
            case "item.started" or "item.updated" or "item.completed":
                Item(type == "item.completed", Prop(root, "item"), line, events);
                break;
            case "turn.completed":
                var usage = Prop(root, "usage");
                events.Add(new AgentEvent(EventTypes.Usage, EventTypes.System, null, Usage(usage), line));
                var metadata = Usage(usage);
                metadata["status"] = "completed";
                events.Add(new AgentEvent(EventTypes.Complete, EventTypes.System, "completed", metadata, line));
                CompletionSeen = true;
                break;
            case "turn.failed":
                // The run's final word as much as turn.completed is: exec shuts down right after it.
                var message = Str(Prop(root, "error"), "message") ?? "turn failed";
                events.Add(new AgentEvent(EventTypes.Error, EventTypes.System, message, Raw: line));
                events.Add(new AgentEvent(EventTypes.Complete, EventTypes.System, "failed",
                    new JsonObject { ["status"] = "failed", ["error"] = message }, line));
                CompletionSeen = true;
                ResultIsError = true;
                break;
            case "error":
                events.Add(new AgentEvent(EventTypes.Error, EventTypes.System, Str(root, "message") ?? line, Raw: line));
                break;
            default:
                events.Add(Log(line, isStandardError: false, raw: line));
                break;
        }
    }

    private void Item(bool completed, JsonElement item, string line, ICollection<AgentEvent> events)
    {
        var id = Str(item, "id") ?? "";
        var kind = Str(item, "type") ?? "";
        switch (kind)
        {
            case "agent_message" or "reasoning":
                // Codex sends these whole, on completion only; there are no deltas to stream.
                var text = Str(item, "text");
                if (completed && !string.IsNullOrEmpty(text))
                {
                    events.Add(new AgentEvent(kind == "reasoning" ? EventTypes.Thinking : EventTypes.Text, EventTypes.Assistant, text, Raw: line));
                }
                break;
            case "command_execution" or "file_change" or "mcp_tool_call" or "web_search":
                // file_change may arrive only as item.completed: its tool_use is emitted then, so every result has one.
                if (_openTools.Add(id))
                {
                    var (name, input) = Call(kind, item);
                    events.Add(new AgentEvent(EventTypes.ToolUse, EventTypes.Assistant, name, Compact(new JsonObject
                    {
                        ["toolUseId"] = id,
                        ["name"] = name,
                        ["input"] = input,
                        ["server"] = Str(item, "server"),
                    }), line));
                }
                if (completed)
                {
                    _openTools.Remove(id);
                    var (content, isError) = Outcome(kind, item);
                    events.Add(new AgentEvent(EventTypes.ToolResult, EventTypes.Tool, content, Compact(new JsonObject
                    {
                        ["toolUseId"] = id,
                        ["isError"] = isError,
                        ["exitCode"] = Num(item, "exit_code"),
                    }), line));
                }
                break;
            case "todo_list":
                var items = Prop(item, "items");
                var checklist = items.ValueKind == JsonValueKind.Array
                    ? string.Join('\n', items.EnumerateArray().Select(i =>
                        $"[{(Prop(i, "completed").ValueKind == JsonValueKind.True ? "x" : " ")}] {Str(i, "text")}"))
                    : "";
                events.Add(new AgentEvent(EventTypes.Status, EventTypes.System, checklist,
                    new JsonObject { ["todoList"] = Node(items) ?? new JsonArray() }, line));
                break;
            case "error":
                // Error items are the non-fatal kind (config warnings, deprecations, reroutes): the turn goes on.
                events.Add(new AgentEvent(EventTypes.Log, EventTypes.System, Str(item, "message") ?? line,
                    new JsonObject { ["severity"] = "warning" }, line));
                break;
            default:
                events.Add(Log(line, isStandardError: false, raw: line));
                break;
        }
    }

    private static (string Name, JsonNode Input) Call(string kind, JsonElement item) => kind switch
    {
        "command_execution" => (kind, new JsonObject { ["command"] = Str(item, "command") }),
        "file_change" => (kind, new JsonObject { ["changes"] = Node(Prop(item, "changes")) ?? new JsonArray() }),
        "mcp_tool_call" => (Str(item, "tool") ?? kind, Node(Prop(item, "arguments")) ?? new JsonObject()),
        _ => (kind, new JsonObject { ["query"] = Str(item, "query") }),
    };

    private static (string Content, bool IsError) Outcome(string kind, JsonElement item)
    {
        var failed = Str(item, "status") is "failed" or "declined";
        switch (kind)
        {
            case "command_execution":
                return (Str(item, "aggregated_output") ?? "", failed || (Num(item, "exit_code") ?? 0) != 0);
            case "file_change":
                var changes = Prop(item, "changes");
                return (changes.ValueKind == JsonValueKind.Array
                    ? string.Join('\n', changes.EnumerateArray().Select(c => $"{Str(c, "kind")} {Str(c, "path")}"))
                    : "", failed);
            case "mcp_tool_call":
                var error = Str(Prop(item, "error"), "message");
                var blocks = Prop(Prop(item, "result"), "content");
                var output = blocks.ValueKind == JsonValueKind.Array
                    ? string.Join('\n', blocks.EnumerateArray().Select(b => Str(b, "text")).OfType<string>())
                    : "";
                return (error ?? output, failed || error is not null);
            default:
                return (Str(item, "query") ?? "", failed);
        }
    }

    // OpenAI counts cached tokens inside input_tokens; cache reads are counted apart, as Anthropic counts them,
    // so that inputTokens + cacheReadTokens is the whole prompt for every agent kind.
    private static JsonObject Usage(JsonElement usage)
    {
        var cached = Num(usage, "cached_input_tokens") ?? 0;
        return new JsonObject
        {
            ["inputTokens"] = Math.Max(0, (Num(usage, "input_tokens") ?? 0) - cached),
            ["outputTokens"] = Num(usage, "output_tokens") ?? 0,
            ["cacheReadTokens"] = cached,
        };
    }
}
