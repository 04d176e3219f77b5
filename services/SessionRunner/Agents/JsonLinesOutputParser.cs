using System.Text.Json;
using static AgentFleet.SessionRunner.Agents.JsonLine;

namespace AgentFleet.SessionRunner.Agents;

/// <summary>
/// An agent that writes one JSON event a line (claude, gemini, codex): blank lines are dropped, and stderr and
/// anything that is not JSON become log events, so a subclass maps only the agent's own events.
/// </summary>
public abstract class JsonLinesOutputParser : AgentOutputParser
{
    public sealed override void Parse(string line, bool isStandardError, ICollection<AgentEvent> events)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }
        using var document = isStandardError ? null : TryParse(line);
        if (document is null)
        {
            events.Add(Log(line, isStandardError));
            return;
        }
        Map(document.RootElement, line, events);
    }

    /// <summary>Adds the events of one JSON line; <paramref name="line"/> is its raw text.</summary>
    protected abstract void Map(JsonElement root, string line, ICollection<AgentEvent> events);
}
