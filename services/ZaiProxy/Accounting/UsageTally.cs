using System.Text.Json;

namespace AgentFleet.ZaiProxy.Accounting;

/// <summary>
/// The tokens one call used, as the upstream reported them: from a reply's <c>usage</c>, or from a stream's
/// <c>message_start</c> (input and cache) and <c>message_delta</c> (output so far, cumulative) events.
/// </summary>
public sealed class UsageTally
{
    public string? Model { get; set; }

    public long InputTokens { get; private set; }

    public long OutputTokens { get; private set; }

    public long CacheCreationTokens { get; private set; }

    public long CacheReadTokens { get; private set; }

    /// <summary>The stream reached <c>message_stop</c>.</summary>
    public bool Completed { get; private set; }

    public bool HasUsage { get; private set; }

    /// <summary>A whole (non-streamed) reply.</summary>
    public void ObserveMessage(byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            Read(document.RootElement);
            Completed = true;
        }
        catch (JsonException)
        {
        }
    }

    /// <summary>One SSE event's <c>data</c>. Only the events that carry usage are parsed.</summary>
    public void ObserveEvent(ReadOnlySpan<byte> data)
    {
        if (data.IndexOf("\"message_stop\""u8) >= 0)
        {
            Completed = true;
            return;
        }
        if (data.IndexOf("\"message_start\""u8) < 0 && data.IndexOf("\"message_delta\""u8) < 0)
        {
            return;
        }
        try
        {
            using var document = JsonDocument.Parse(data.ToArray());
            var root = document.RootElement;
            Read(root.TryGetProperty("message", out var message) ? message : root);
        }
        catch (JsonException)
        {
        }
    }

    private void Read(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        if (element.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String)
        {
            Model = model.GetString();
        }
        if (!element.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        HasUsage = true;
        // Counts are cumulative in every event that carries them, so the largest seen is the total.
        InputTokens = Math.Max(InputTokens, Number(usage, "input_tokens"));
        OutputTokens = Math.Max(OutputTokens, Number(usage, "output_tokens"));
        CacheCreationTokens = Math.Max(CacheCreationTokens, Number(usage, "cache_creation_input_tokens"));
        CacheReadTokens = Math.Max(CacheReadTokens, Number(usage, "cache_read_input_tokens"));
    }

    private static long Number(JsonElement usage, string name) =>
        usage.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : 0;
}
