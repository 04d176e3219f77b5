using System.ComponentModel;
using AgentFleet.ServiceDefaults.Security;
using System.Text.Json.Nodes;
using AgentFleet.SessionRunner.Agents;
using AgentFleet.SessionRunner.Model;
using AgentFleet.SessionRunner.Sandbox;

namespace AgentFleet.SessionRunner.Services;

public sealed partial class SessionSupervisor
{
    /// <summary>One run of an agent, from spawn to its final event; the slot is released whatever happens.</summary>
    private async Task RunAsync(AgentSession session)
    {
        using var run = SessionTracing.StartRun(session);
        try
        {
            await LaunchAndWaitAsync(session);
        }
        catch (Exception e)
        {
            LogRunFailed(logger, session.Id, e);
            if (!SessionStatus.IsTerminal(session.Meta.Status))
            {
                await session.TransitionAsync(SessionStatus.Failed, EventTypes.Error, $"The runner could not run the agent: {e.Message}",
                    change: m => m with { EndedAt = DateTimeOffset.UtcNow });
            }
        }
        finally
        {
            lock (_queueGate)
            {
                _running--;
            }
            _runs.TryRemove(session.Id, out _);
            Dispatch();
        }
    }

    private async Task LaunchAndWaitAsync(AgentSession session)
    {
        var meta = session.Meta;
        var adapter = adapters.Find(meta.Agent)!;
        var resume = session.PendingResume;
        session.PendingResume = null;
        if (session.StopRequested)
        {
            await session.TransitionAsync(SessionStatus.Stopped, EventTypes.Complete, "Stopped before it started",
                change: m => m with { EndedAt = DateTimeOffset.UtcNow });
            return;
        }

        AgentProcess process;
        var parser = adapter.CreateParser();
        try
        {
            var launch = adapter.BuildLaunch(new AgentLaunchContext(
                session.Id, resume?.Task ?? meta.Task, meta.Command, meta.Model, session.Directory, resume?.AgentSessionId, keys.Issue(session.Id, meta.BudgetUsd, System.Diagnostics.Activity.Current?.Context,
                    meta.CreatedByKey is { } payer ? new PayingKey(payer, meta.KeyBudgetUsd, meta.KeyBudgetPeriod != "total") : null, meta.BudgetSessionId), environment.SearchPath,
                meta.McpServersJson));
            var uid = AdoptIntoSandbox(session);
            var agentEnvironment = environment.Build(session, launch.Environment);
            process = sandbox.Start(launch, session.Directory, uid, session.Meta.Limits ?? sandbox.Limits,
                (program, arguments) => AgentProcess.Start(program, arguments, session.Directory, agentEnvironment, uid));
        }
        catch (Exception e) when (e is AgentUnavailableException or ArgumentException or Win32Exception or SandboxUnavailableException)
        {
            await session.TransitionAsync(SessionStatus.Failed, EventTypes.Error, e.Message,
                change: m => m with { EndedAt = DateTimeOffset.UtcNow, ExitCode = null });
            return;
        }

        using var _ = process;
        var timedOut = false;
        session.Process = process;
        using var timeout = new PausableTimeout(TimeSpan.FromSeconds(meta.TimeoutSeconds), () =>
        {
            timedOut = true;
            Terminate(process);
        });
        session.Timeout = timeout;
        await session.TransitionAsync(SessionStatus.Running, EventTypes.Status, resume is null ? "Agent started" : "Agent resumed",
            new JsonObject { ["agent"] = meta.Agent, ["resumed"] = resume is not null },
            m => m with { Pid = process.Pid, StartedAt = DateTimeOffset.UtcNow, EndedAt = null, ExitCode = null });
        if (session.StopRequested || _shuttingDown)
        {
            Terminate(process);
        }

        AgentEvent? completion = null;
        var exitCode = await process.PumpAsync(session.LogPath, _options.MaxLineLength, async (line, isStandardError) =>
        {
            var parsed = new List<AgentEvent>(2);
            lock (parser)
            {
                parser.Parse(line, isStandardError, parsed);
            }
            foreach (var agentEvent in parsed)
            {
                // The agent's own result waits for the exit: the final event carries both.
                if (agentEvent.Type == EventTypes.Complete)
                {
                    completion = agentEvent;
                    continue;
                }
                await session.EmitAsync(agentEvent);
            }
            if (parser.AgentSessionId is { } agentSessionId && agentSessionId != session.Meta.AgentSessionId)
            {
                session.Update(m => m with { AgentSessionId = agentSessionId });
            }
        });
        session.Process = null;
        session.Timeout = null;
        await FinishAsync(session, parser, completion, exitCode, timedOut);
    }

    private Task FinishAsync(AgentSession session, AgentOutputParser parser, AgentEvent? completion, int exitCode, bool timedOut)
    {
        var metadata = completion?.Metadata?.DeepClone().AsObject() ?? [];
        metadata["exitCode"] = exitCode;
        var (status, type, content) = true switch
        {
            _ when _shuttingDown && !session.StopRequested => (SessionStatus.Interrupted, EventTypes.Error, "The runner shut down while the agent ran"),
            _ when session.StopRequested => (SessionStatus.Stopped, EventTypes.Complete, "Stopped by request"),
            _ when timedOut => (SessionStatus.Failed, EventTypes.Error, $"Timed out after {session.Meta.TimeoutSeconds} s"),
            _ when exitCode == 0 && !parser.ResultIsError => (SessionStatus.Completed, EventTypes.Complete, completion?.Content ?? "Completed"),
            _ when parser.ResultIsError && completion?.Content is { Length: > 0 } reason => (SessionStatus.Failed, EventTypes.Error, reason),
            _ => (SessionStatus.Failed, EventTypes.Error, $"The agent exited with code {exitCode}"),
        };
        if (timedOut)
        {
            metadata["reason"] = "timeout";
        }
        return session.TransitionAsync(status, type, content, metadata, m => m with
        {
            ExitCode = exitCode,
            EndedAt = DateTimeOffset.UtcNow,
            TotalCostUsd = m.TotalCostUsd + parser.TotalCostUsd,
            AgentSessionId = parser.AgentSessionId ?? m.AgentSessionId,
        });
    }

    /// <summary>
    /// The uid to run as: the session's own while no other active session holds it. A session resumed after its uid
    /// went to another, or made while confinement was off, gets a free one, and its directory becomes that uid's:
    /// it never runs as root inside a runner that confines, nor beside another session under one uid.
    /// </summary>
    private int? AdoptIntoSandbox(AgentSession session)
    {
        if (!sandbox.IsBubblewrap)
        {
            return session.Meta.Uid;
        }
        int uid;
        lock (_uidGate)
        {
            var held = UidsOfActiveSessions(except: session).ToHashSet();
            if (session.Meta.Uid is { } own && sandbox.InRange(own) && !held.Contains(own))
            {
                return own;
            }
            uid = sandbox.AllocateUid(held)!.Value;
            session.Update(m => m with { Uid = uid });
        }
        sandbox.AdoptDirectory(session.Directory, uid);
        return uid;
    }

    [LoggerMessage(LogLevel.Error, "Running session {SessionId} failed")]
    private static partial void LogRunFailed(ILogger logger, string sessionId, Exception exception);
}
