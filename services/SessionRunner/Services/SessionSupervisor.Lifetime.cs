using AgentFleet.SessionRunner.Agents;
using AgentFleet.SessionRunner.Infrastructure;
using AgentFleet.SessionRunner.Model;

namespace AgentFleet.SessionRunner.Services;

public sealed partial class SessionSupervisor
{
    /// <summary>
    /// Recovery at start: every session directory is known again, and each that was active when the runner died
    /// is marked interrupted (with an error event numbered after its last persisted one); an agent it left
    /// behind is killed (its process group, and every process of its sandbox uid), since nobody reads its output any more.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        writer.Persisted += batch =>
        {
            foreach (var sessionEvent in batch)
            {
                if (_sessions.TryGetValue(sessionEvent.SessionId, out var owner))
                {
                    owner.MarkPersisted(sessionEvent.Sequence);
                }
            }
        };
        Directory.CreateDirectory(SessionsDirectory);
        // Traversable, not listable: an agent reaches its own directory by name and learns no other session's id.
        PosixFiles.SetMode(SessionsDirectory, PosixFiles.OwnerOnly | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        CreateStateDirectory(StateDirectory);
        MoveStateOutOfSessionDirectories();
        List<Guid> interrupted = [];
        foreach (var state in Directory.EnumerateDirectories(StateDirectory))
        {
            if (!Guid.TryParse(Path.GetFileName(state), out _) || SessionMeta.Load(state) is not { } meta)
            {
                continue;
            }
            var directory = Path.Combine(SessionsDirectory, meta.SessionId);
            var session = new AgentSession(meta, directory, state, 0, writer);
            _sessions[meta.SessionId] = session;
            if (!SessionStatus.IsActive(meta.Status))
            {
                continue;
            }
            if (meta.Pid is { } pid && IsAgentOf(pid, directory))
            {
                ProcessSignals.Group(pid, ProcessSignals.SIGKILL);
            }
            // Whatever of a sandboxed agent outlived the runner runs as its uid, wherever it regrouped.
            if (meta.Uid is { } uid && sandbox.InRange(uid))
            {
                ProcessSignals.User(uid, ProcessSignals.SIGKILL);
            }
            session.RestoreSequence(await store.MaxSequenceAsync(Guid.Parse(meta.SessionId), cancellationToken));
            await session.TransitionAsync(SessionStatus.Interrupted, EventTypes.Error, "The runner restarted while this session was active",
                change: m => m with { EndedAt = DateTimeOffset.UtcNow });
            LogInterrupted(logger, meta.SessionId);
            interrupted.Add(Guid.Parse(meta.SessionId));
        }
        // What those sessions' agents waited for, nobody waits for any more.
        await approvals.ExpirePendingAsync(interrupted, "The runner restarted while this tool use waited; the session was interrupted.", cancellationToken);
    }

    /// <summary>
    /// Shutdown: agents are asked to stop (SIGTERM, SIGKILL after the grace period) and their sessions end as
    /// interrupted, resumable later; queued sessions too. The event writer stops after this and drains.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _shuttingDown = true;
        List<AgentSession> queued;
        lock (_queueGate)
        {
            queued = [.. _waiting];
            _waiting.Clear();
        }
        foreach (var session in queued)
        {
            await session.TransitionAsync(SessionStatus.Interrupted, EventTypes.Error, "The runner shut down before the session started",
                change: m => m with { EndedAt = DateTimeOffset.UtcNow });
        }
        foreach (var session in _sessions.Values)
        {
            if (session.Process is { } process)
            {
                Terminate(process);
            }
        }
        try
        {
            await Task.WhenAll(_runs.Values).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Removes finished sessions' directories and state (their logs) older than the retention.</summary>
    public int CleanUp(DateTimeOffset now)
    {
        var removed = 0;
        var cutoff = now - TimeSpan.FromDays(_options.RetentionDays);
        List<AgentSession> expired = [];
        lock (_lifecycleGate)
        {
            foreach (var session in _sessions.Values)
            {
                var meta = session.Meta;
                if (SessionStatus.IsTerminal(meta.Status) && (meta.EndedAt ?? meta.CreatedAt) < cutoff && _sessions.TryRemove(session.Id, out _))
                {
                    expired.Add(session);
                }
            }
        }
        foreach (var session in expired)
        {
            try
            {
                if (Directory.Exists(session.Directory))
                {
                    Directory.Delete(session.Directory, recursive: true);
                }
                Directory.Delete(session.StateDirectory, recursive: true);
                removed++;
            }
            catch (IOException e)
            {
                LogCleanupFailed(logger, session.Id, e.Message);
            }
        }
        return removed;
    }

    /// <summary>
    /// Runners before the sandbox kept the meta file and the log inside the session directory, where the agent could
    /// replace them; they move to the state directory once.
    /// </summary>
    private void MoveStateOutOfSessionDirectories()
    {
        foreach (var directory in Directory.EnumerateDirectories(SessionsDirectory))
        {
            var id = Path.GetFileName(directory);
            var state = Path.Combine(StateDirectory, id);
            var metaFile = new FileInfo(Path.Combine(directory, SessionMeta.FileName));
            if (!Guid.TryParse(id, out _) || Directory.Exists(state) || !metaFile.Exists || metaFile.LinkTarget is not null)
            {
                continue;
            }
            CreateStateDirectory(state);
            metaFile.MoveTo(Path.Combine(state, SessionMeta.FileName));
            var log = new FileInfo(Path.Combine(directory, ".session.log"));
            if (log.Exists && log.LinkTarget is null)
            {
                log.MoveTo(Path.Combine(state, ".session.log"));
            }
        }
    }

    // The pid may have been reused since: it is ours only if it still works in the session's directory.
    private static bool IsAgentOf(int pid, string directory)
    {
        try
        {
            var cwd = new DirectoryInfo($"/proc/{pid}/cwd").ResolveLinkTarget(returnFinalTarget: false)?.FullName;
            return cwd is not null && Path.TrimEndingDirectorySeparator(cwd) == Path.TrimEndingDirectorySeparator(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Session {SessionId} was active when the runner stopped; marked interrupted")]
    private static partial void LogInterrupted(ILogger logger, string sessionId);

    [LoggerMessage(LogLevel.Warning, "Removing the directory of session {SessionId} failed: {Reason}")]
    private static partial void LogCleanupFailed(ILogger logger, string sessionId, string reason);
}
