using System.Globalization;
using System.Text.Json.Nodes;

namespace AgentFleet.Console.Components.Shared;

/// <summary>How numbers, times and JSON read on the pages.</summary>
public static class Format
{
    public static string Text(JsonNode? node, string name) => node?[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : "";

    public static long Number(JsonNode? node, string name) => node?[name] is JsonValue value && value.TryGetValue<long>(out var number) ? number : 0;

    public static double? Decimal(JsonNode? node, string name) => node?[name] is JsonValue value && value.TryGetValue<double>(out var number) ? number : null;

    public static string Cost(double? usd) => usd is { } value ? "$" + value.ToString("0.####", CultureInfo.InvariantCulture) : "–";

    public static string Age(JsonNode? node, string name) =>
        DateTimeOffset.TryParse(Text(node, name), CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) ? Span(DateTimeOffset.UtcNow - at) + " ago" : "";

    public static string Bytes(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.#} GiB" : $"{bytes / (double)(1L << 20):0} MiB";

    public static string Duration(long? milliseconds) => milliseconds is { } ms ? Span(TimeSpan.FromMilliseconds(ms)) : "–";

    public static string Span(TimeSpan span) => span.TotalSeconds < 60 ? $"{span.TotalSeconds:0}s"
        : span.TotalMinutes < 60 ? $"{span.TotalMinutes:0}m"
        : span.TotalHours < 48 ? $"{span.TotalHours:0.#}h"
        : $"{span.TotalDays:0}d";

    // Shown as text (the page encodes it): no need to escape &, < or quotes into \u sequences a person cannot read.
    private static readonly System.Text.Json.JsonSerializerOptions Readable = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Json(JsonNode? node) => node?.ToJsonString(Readable) ?? "";

    public static string Shorten(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");
}
