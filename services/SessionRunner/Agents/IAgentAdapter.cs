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
public sealed record AgentLaunchContext(
    string SessionId,
    string Task,
    IReadOnlyList<string> Command,
    string? Model,
    string WorkingDirectory,
    string? ResumeAgentSessionId,
    string SessionKey);

/// <summary>An argument vector (never a shell string) and the extra environment for it.</summary>
public sealed record AgentLaunch(string FileName, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment);

public sealed class AgentUnavailableException(string message) : Exception(message);
