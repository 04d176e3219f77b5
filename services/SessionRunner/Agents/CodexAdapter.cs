using AgentFleet.SessionRunner.Services;
using Microsoft.Extensions.Options;

namespace AgentFleet.SessionRunner.Agents;

/// <summary>OpenAI's Codex CLI, <c>codex exec --json</c>, writing only inside the session directory.</summary>
public sealed class CodexAdapter(IOptions<SessionRunnerOptions> options) : IAgentAdapter
{
    public string Kind => "codex";

    public bool CanResume => false;

    public AgentLaunch BuildLaunch(AgentLaunchContext context)
    {
        var program = ExecutableLocator.Require(options.Value.CodexPath, Kind);
        List<string> arguments = ["exec", "--json", "--sandbox", "workspace-write", "--skip-git-repo-check"];
        if (!string.IsNullOrEmpty(context.Model))
        {
            arguments.AddRange(["--model", context.Model]);
        }
        // "--" so a task that starts with a dash is the prompt, not an option.
        arguments.AddRange(["--", context.Task]);
        return AgentLaunch.ForCli(program, arguments, new Dictionary<string, string>());
    }

    public AgentOutputParser CreateParser() => new CodexOutputParser();
}
