using AgentFleet.SessionRunner.Sandbox;
using Microsoft.Extensions.Options;

namespace AgentFleet.SessionRunner.Services;

/// <summary>
/// The environment an agent starts with: the allow-listed host variables, the session directory as its home,
/// the session's identity, and what its kind needs. Nothing else of the runner's (connection strings, the admin
/// key, upstream keys) reaches it.
/// </summary>
public sealed class AgentEnvironment(IOptions<SessionRunnerOptions> options, SessionSandbox sandbox)
{
    /// <summary>
    /// The agent's PATH: the host's, narrowed in a sandbox to the directories it shows the agent (a pyenv shim under
    /// /root would otherwise be found and then be missing inside).
    /// </summary>
    public string SearchPath { get; } = sandbox.VisiblePath(Environment.GetEnvironmentVariable("PATH"));

    public Dictionary<string, string> Build(AgentSession session, IReadOnlyDictionary<string, string> kindNeeds)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in options.Value.EnvironmentAllowList)
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                environment[name] = value;
            }
        }
        environment["PATH"] = SearchPath;
        if (sandbox.IsBubblewrap)
        {
            // The host's TMPDIR is not in the sandbox; its /tmp is the session's own.
            environment["TMPDIR"] = "/tmp";
        }
        environment["HOME"] = session.Directory;
        environment["FLEET_SESSION_ID"] = session.Id;
        foreach (var (name, value) in kindNeeds)
        {
            environment[name] = value;
        }
        return environment;
    }
}
