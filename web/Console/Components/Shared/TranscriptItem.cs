using System.Text;
using System.Text.Json.Nodes;

namespace AgentFleet.Console.Components.Shared;

/// <summary>
/// One row of a session's transcript as shown: consecutive text deltas of one turn read as one paragraph; every other
/// event (a tool call with its input, a result, usage, an approval, a status) is a row of its own.
/// </summary>
public sealed class TranscriptItem(long sequence, string type, string role, JsonNode? metadata)
{
    private readonly StringBuilder _content = new();

    public long Sequence { get; } = sequence;

    public long LastSequence { get; private set; } = sequence;

    public string Type { get; } = type;

    public string Role { get; } = role;

    public JsonNode? Metadata { get; } = metadata;

    public string Content => _content.ToString();

    /// <summary>Adds <paramref name="sessionEvent"/> to <paramref name="items"/>: to the last paragraph, or as a row of its own.</summary>
    public static void Add(List<TranscriptItem> items, JsonObject sessionEvent)
    {
        var type = Format.Text(sessionEvent, "type");
        var role = Format.Text(sessionEvent, "role");
        var sequence = Format.Number(sessionEvent, "sequence");
        var content = Format.Text(sessionEvent, "content");
        if (type is "text" or "thinking" && items.Count > 0 && items[^1] is { } last && last.Type == type && last.Role == role)
        {
            last._content.Append(content);
            last.LastSequence = sequence;
            return;
        }
        var item = new TranscriptItem(sequence, type, role, sessionEvent["metadata"]?.DeepClone());
        item._content.Append(content);
        items.Add(item);
    }
}
