namespace AgentFleet.SessionRunner.Agents;

/// <summary>One kind of agent (claude, command, gemini, codex): how to launch it and how to read it.</summary>
public interface IAgentAdapter
{
    /// <summary>The name clients pass as <c>agent</c>.</summary>
    string Kind { get; }

    /// <summary>Whether a finished session of this kind can be continued with <c>resume</c>.</summary>
    bool CanResume { get; }

    /// <summary>
    /// The argument vector and the variables this kind needs on top of the allow-listed environment.
    /// Throws <see cref="AgentUnavailableException"/> when the agent's program is not installed.
    /// </summary>
    AgentLaunch BuildLaunch(AgentLaunchContext context);

    AgentOutputParser CreateParser();
}

/// <summary>What a launch knows: the session, its working directory, and the resume point if resuming.</summary>
/// <param name="ResumeAgentSessionId">The agent's own session id to continue, or null for a fresh start.</param>
/// <param name="SessionKey">The per-session key the agent presents to ZaiProxy.</param>
/// <param name="SearchPath">Where a bare program name is looked up: only directories the agent's sandbox shows it.</param>
/// <param name="McpServersJson">The session's own MCP servers (claude's <c>mcpServers</c> object), already checked.</param>
public sealed record AgentLaunchContext(
    string SessionId,
    string Task,
    IReadOnlyList<string> Command,
    string? Model,
    string WorkingDirectory,
    string? ResumeAgentSessionId,
    string SessionKey,
    string SearchPath,
    string? McpServersJson = null);

/// <summary>An argument vector (never a shell string) and the extra environment for it.</summary>
/// <param name="ReadOnlyPaths">Host directories the agent needs to see, read-only (its CLI's installation).</param>
public sealed record AgentLaunch(string FileName, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment, IReadOnlyList<string> ReadOnlyPaths)
{
    /// <summary>A configured agent CLI: run by its real path, its installation shown to the agent read-only.</summary>
    public static AgentLaunch ForCli(string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var real = ExecutableLocator.RealPath(program);
        return new AgentLaunch(real, arguments, environment, [ExecutableLocator.InstallRoot(real)]);
    }
}

public sealed class AgentUnavailableException(string message) : Exception(message);
