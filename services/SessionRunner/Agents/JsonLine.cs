using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentFleet.SessionRunner.Agents;

/// <summary>Lenient reading of one JSONL line from an agent: a missing or mistyped field is null, never an exception.</summary>
internal static class JsonLine
{
    // JsonDocument, not JsonNode: codex writes web_search items with two "id" keys, and JsonObject throws on reading those.
    public static JsonDocument? TryParse(string line)
    {
        try
        {
            // The '{' check spares plain log lines, the common kind of non-JSON, an exception each.
            return line.TrimStart().StartsWith('{') ? JsonDocument.Parse(line) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static JsonElement Prop(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    public static string? Str(JsonElement element, string name) =>
        Prop(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    public static long? Num(JsonElement element, string name) =>
        Prop(element, name) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt64(out var number) ? number : null;

    public static double? Dbl(JsonElement element, string name) =>
        Prop(element, name) is { ValueKind: JsonValueKind.Number } value ? value.GetDouble() : null;

    public static bool? Bool(JsonElement element, string name) =>
        Prop(element, name) is { ValueKind: JsonValueKind.True or JsonValueKind.False } value ? value.GetBoolean() : null;

    public static JsonNode? Node(JsonElement element) =>
        element.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? null : JsonNode.Parse(element.GetRawText());

    /// <summary>Drops null-valued keys, so metadata carries only what the agent said.</summary>
    public static JsonObject Compact(JsonObject metadata)
    {
        foreach (var key in metadata.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            metadata.Remove(key);
        }
        return metadata;
    }

    /// <summary>The event for a line that is not an agent event: stderr output, plain text, or an unknown type.</summary>
    public static AgentEvent Log(string line, bool isStandardError, string? raw = null) =>
        new(EventTypes.Log, EventTypes.System, line, isStandardError ? new JsonObject { ["stream"] = "stderr" } : null, raw);
}
