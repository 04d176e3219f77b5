using AgentFleet.ServiceDefaults.Problems;
using System.Text.Json.Nodes;

namespace AgentFleet.SessionRunner.Agents;

/// <summary>Any program with its arguments: each output line is a log event; the exit code decides the outcome.</summary>
public sealed class CommandAdapter : IAgentAdapter
{
    public string Kind => "command";

    public bool CanResume => false;

    public AgentLaunch BuildLaunch(AgentLaunchContext context)
    {
        if (context.Command.Count == 0 || string.IsNullOrWhiteSpace(context.Command[0]))
        {
            throw new ArgumentException("A command session needs a non-empty command.");
        }
        var program = ExecutableLocator.Find(context.Command[0], context.SearchPath)
            ?? throw new AgentUnavailableException($"The program '{Bounded.Echo(context.Command[0])}' was not found on this runner (searched {context.SearchPath}).");
        return new AgentLaunch(program, [.. context.Command.Skip(1)], new Dictionary<string, string>(), []);
    }

    public AgentOutputParser CreateParser() => new CommandOutputParser();

    private sealed class CommandOutputParser : AgentOutputParser
    {
        private static readonly JsonObject Stdout = new() { ["stream"] = "stdout" };
        private static readonly JsonObject Stderr = new() { ["stream"] = "stderr" };

        public override void Parse(string line, bool isStandardError, ICollection<AgentEvent> events) =>
            events.Add(new AgentEvent(EventTypes.Log, EventTypes.System, line, isStandardError ? Stderr : Stdout));
    }
}
