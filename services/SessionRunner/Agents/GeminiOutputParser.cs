using System.Text.Json;
using System.Text.Json.Nodes;
using static AgentFleet.SessionRunner.Agents.JsonLine;

namespace AgentFleet.SessionRunner.Agents;

/// <summary>
/// Reads <c>gemini -p … --output-format stream-json</c>: one JSON event a line, of the types
/// init, message, tool_use, tool_result, error and result (gemini-cli packages/core/src/output/types.ts).
/// </summary>
public sealed class GeminiOutputParser : JsonLinesOutputParser
{

    protected override void Map(JsonElement root, string line, ICollection<AgentEvent> events)
    {
        switch (Str(root, "type"))
        {
            case "init":
                AgentSessionId = Str(root, "session_id") ?? AgentSessionId;
                events.Add(new AgentEvent(EventTypes.Status, EventTypes.System, "started",
                    Compact(new JsonObject { ["agentSessionId"] = AgentSessionId, ["model"] = Str(root, "model") }), line));
                break;
            case "message" when Str(root, "role") == "assistant":
                // Each streamed chunk (delta: true) is its own text event, as claude's token deltas are.
                var text = Str(root, "content");
                if (!string.IsNullOrEmpty(text))
                {
                    events.Add(new AgentEvent(EventTypes.Text, EventTypes.Assistant, text, Raw: line));
                }
                break;
            case "message":
                // The prompt echoed back (role user): the client sent it, the session already has it.
                break;
            case "tool_use":
                var name = Str(root, "tool_name") ?? "unknown";
                events.Add(new AgentEvent(EventTypes.ToolUse, EventTypes.Assistant, name, Compact(new JsonObject
                {
                    ["toolUseId"] = Str(root, "tool_id"),
                    ["name"] = name,
                    ["input"] = Node(Prop(root, "parameters")) ?? new JsonObject(),
                }), line));
                break;
            case "tool_result":
                events.Add(ToolResult(root, line));
                break;
            case "error" when Str(root, "severity") == "warning":
                // Warnings (loop detected, a hook blocking a step) do not end the run; an error event would say it failed.
                events.Add(new AgentEvent(EventTypes.Log, EventTypes.System, Str(root, "message") ?? line,
                    new JsonObject { ["severity"] = "warning" }, line));
                break;
            case "error":
                events.Add(new AgentEvent(EventTypes.Error, EventTypes.System, Str(root, "message") ?? line, Raw: line));
                break;
            case "result":
                Result(root, line, events);
                break;
            default:
                events.Add(Log(line, isStandardError: false, raw: line));
                break;
        }
    }

    private static AgentEvent ToolResult(JsonElement root, string line)
    {
        var error = Str(Prop(root, "error"), "message");
        var failed = Str(root, "status") == "error" || error is not null;
        // output is absent when the tool's display is not text (write_file and edit show a diff object).
        var output = Str(root, "output");
        var content = (failed ? error ?? output : output ?? error) ?? "";
        return new AgentEvent(EventTypes.ToolResult, EventTypes.Tool, content,
            Compact(new JsonObject { ["toolUseId"] = Str(root, "tool_id"), ["isError"] = failed }), line);
    }

    private void Result(JsonElement root, string line, ICollection<AgentEvent> events)
    {
        var stats = Prop(root, "stats");
        var hasStats = stats.ValueKind == JsonValueKind.Object;
        if (hasStats)
        {
            events.Add(new AgentEvent(EventTypes.Usage, EventTypes.System, null, Usage(stats), line));
        }
        var failure = Str(Prop(root, "error"), "message");
        if (failure is not null)
        {
            events.Add(new AgentEvent(EventTypes.Error, EventTypes.System, failure, Raw: line));
        }
        var status = Str(root, "status");
        var metadata = hasStats ? Usage(stats) : new JsonObject();
        metadata["status"] = status;
        metadata["durationMs"] = Num(stats, "duration_ms");
        metadata["toolCalls"] = Num(stats, "tool_calls");
        events.Add(new AgentEvent(EventTypes.Complete, EventTypes.System, status, Compact(metadata), line));
        CompletionSeen = true;
        ResultIsError = status != "success";
    }

    // Gemini's input_tokens includes the cached part ("input" is the rest); cache reads are counted apart,
    // as Anthropic counts them, so that inputTokens + cacheReadTokens is the whole prompt for every agent kind.
    private static JsonObject Usage(JsonElement stats)
    {
        var cached = Num(stats, "cached") ?? 0;
        return new JsonObject
        {
            ["inputTokens"] = Num(stats, "input") ?? Math.Max(0, (Num(stats, "input_tokens") ?? 0) - cached),
            ["outputTokens"] = Num(stats, "output_tokens") ?? 0,
            ["cacheReadTokens"] = cached,
        };
    }
}
