using AgentFleet.SessionRunner.Services;
using Microsoft.Extensions.Options;

namespace AgentFleet.SessionRunner.Agents;

/// <summary>The Gemini CLI, headless with stream-json output; its own key comes through the environment allow-list.</summary>
public sealed class GeminiAdapter(IOptions<SessionRunnerOptions> options) : IAgentAdapter
{
    public string Kind => "gemini";

    public bool CanResume => false;

    public AgentLaunch BuildLaunch(AgentLaunchContext context)
    {
        var program = ExecutableLocator.Require(options.Value.GeminiPath, Kind);
        List<string> arguments = ["--output-format", "stream-json"];
        if (!string.IsNullOrEmpty(context.Model))
        {
            arguments.AddRange(["--model", context.Model]);
        }
        // "--prompt=<task>" in one argument: a task that starts with a dash stays the prompt.
        arguments.Add($"--prompt={context.Task}");
        return AgentLaunch.ForCli(program, arguments, new Dictionary<string, string>());
    }

    public AgentOutputParser CreateParser() => new GeminiOutputParser();
}
