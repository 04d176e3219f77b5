using Microsoft.Extensions.Options;

namespace AgentFleet.SessionRunner.Services;

/// <summary>
/// The environment an agent starts with: the allow-listed host variables, its own home inside the session
/// directory, the session's identity, and what its kind needs. Nothing else of the runner's (connection
/// strings, the admin key, upstream keys) reaches it.
/// </summary>
public sealed class AgentEnvironment(IOptions<SessionRunnerOptions> options)
{
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
        environment.TryAdd("PATH", "/usr/local/bin:/usr/bin:/bin");
        environment["HOME"] = session.HomeDirectory;
        environment["FLEET_SESSION_ID"] = session.Id;
        foreach (var (name, value) in kindNeeds)
        {
            environment[name] = value;
        }
        return environment;
    }
}
