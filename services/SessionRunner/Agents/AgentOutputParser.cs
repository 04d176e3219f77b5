namespace AgentFleet.SessionRunner.Agents;

/// <summary>
/// Turns one agent's output, line by line, into normalized events. One instance per agent process, so a
/// parser may keep state across lines (open tool calls, the agent's own session id).
/// </summary>
public abstract class AgentOutputParser
{
    /// <summary>The agent's own session id once it has told us (claude's <c>system/init</c>), kept for resume.</summary>
    public string? AgentSessionId { get; protected set; }

    /// <summary>True once the agent reported its final result; the exit code then only confirms it.</summary>
    public bool CompletionSeen { get; protected set; }

    /// <summary>The final result said the run failed (an API error, a turn limit), whatever the exit code.</summary>
    public bool ResultIsError { get; protected set; }

    /// <summary>What the agent reported the run cost, in US dollars, when it reports it.</summary>
    public double TotalCostUsd { get; protected set; }

    /// <summary>Adds the events one line of output stands for (none for lines a client does not need).</summary>
    public abstract void Parse(string line, bool isStandardError, ICollection<AgentEvent> events);
}
