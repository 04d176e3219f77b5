using System.Text.Json.Nodes;
using System.Diagnostics;
using AgentFleet.ServiceDefaults.Security;
using System.Collections.Concurrent;
using Grpc.Core;
using AgentFleet.SessionRunner.Agents;
using AgentFleet.SessionRunner.Contracts;
using AgentFleet.SessionRunner.Infrastructure;
using AgentFleet.SessionRunner.Model;
using AgentFleet.SessionRunner.Sandbox;
using AgentFleet.ServiceDefaults.Problems;
using Microsoft.Extensions.Options;

namespace AgentFleet.SessionRunner.Services;

/// <summary>
/// Owns this runner's sessions: validates and queues them (first in, first out, at most
/// <see cref="SessionRunnerOptions.MaxConcurrent"/> running), and stops, pauses and resumes them.
/// Control errors are gRPC statuses, because the gRPC service hands them on as they are.
/// </summary>
public sealed partial class SessionSupervisor(
    IOptions<SessionRunnerOptions> options,
    AgentAdapters adapters,
    AgentEnvironment environment,
    SessionSandbox sandbox,
    IOptions<SandboxOptions> sandboxOptions,
    SessionKeys keys,
    SessionEventWriter writer,
    SessionEventStore store,
    SessionRecords records,
    Approvals.ApprovalStore approvals,
    ILogger<SessionSupervisor> logger) : IHostedService
{
    private readonly SessionRunnerOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, AgentSession> _sessions = new();
    private readonly ConcurrentDictionary<string, Task> _runs = new();
    private readonly LinkedList<AgentSession> _waiting = new();
    private readonly Lock _queueGate = new();
    private readonly Lock _uidGate = new();
    private readonly Lock _lifecycleGate = new();
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private int _running;
    private volatile bool _shuttingDown;

    /// <summary>The agents' own directories, <c>sessions/&lt;id&gt;/</c>: 0711, so an agent can reach its own and list none.</summary>
    public string SessionsDirectory { get; } = Path.Combine(options.Value.ResolveRoot(), "sessions");

    /// <summary>The runner's record of each session, <c>state/&lt;id&gt;/</c>: 0700, never shown to an agent.</summary>
    public string StateDirectory { get; } = Path.Combine(options.Value.ResolveRoot(), "state");

    public async Task<SessionInfo> StartSessionAsync(StartSessionRequest request)
    {
        var id = ParseId(request.SessionId);
        var adapter = adapters.Find(request.Agent)
            ?? throw Invalid($"Unknown agent '{Bounded.Echo(request.Agent)}'. Known agents: {string.Join(", ", adapters.Kinds.Order())}.");
        SessionRequestRules.Validate(request, _options);
        if (request.Agent == "command" && !_options.Command.AllowedRoles.Contains(request.CallerRole))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied,
                $"The command agent runs any program on the runner, so only these roles may start it: {string.Join(", ", _options.Command.AllowedRoles.Distinct())}. " +
                "An admin can allow more roles with SessionRunner:Command:AllowedRoles (for example SessionRunner__Command__AllowedRoles__1=operator)."),
                new Metadata { { ProblemCodes.GrpcTrailer, ProblemCodes.AgentNotAllowed } });
        }
        try
        {
            sandbox.EnsureAvailable();
        }
        catch (SandboxUnavailableException e)
        {
            throw SandboxUnavailable(e);
        }
        if (_sessions.TryGetValue(id, out var existing))
        {
            // A retried start (its reply was lost) gets the session it made; anything else is a clash.
            return existing.Meta.Agent == request.Agent && existing.Meta.Task == request.Task
                ? existing.ToInfo()
                : throw new RpcException(new Status(StatusCode.AlreadyExists, $"Session {id} already exists."));
        }
        var directory = Path.Combine(SessionsDirectory, id);
        // Checked now, not at launch, so a missing CLI or an empty command is the caller's error, not a failed session.
        try
        {
            if (request.McpServersJson.Length > 0)
            {
                request.McpServersJson = adapter.Kind == "claude"
                    ? SessionMcpServers.Check(request.McpServersJson, _options.Mcp).ToJsonString()
                    : throw new ArgumentException($"mcpServers are passed to the claude CLI; a {adapter.Kind} session takes none.");
            }
            var launch = adapter.BuildLaunch(new AgentLaunchContext(id, request.Task, [.. request.Command], request.Model, directory, null, "", environment.SearchPath,
                NullIfEmpty(request.McpServersJson)));
            if (!sandbox.Shows(launch.FileName, launch.ReadOnlyPaths))
            {
                throw Invalid($"The program '{Bounded.Echo(launch.FileName)}' is outside what a sandboxed agent sees ({string.Join(", ", sandboxOptions.Value.SystemPaths)}); install it there, or name one that is.");
            }
        }
        catch (ArgumentException e)
        {
            throw Invalid(e.Message);
        }
        catch (AgentUnavailableException e)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, e.Message));
        }

        var owner = request.Owner is { Length: > 0 } named ? named : "admin";
        var (inserted, overLimit, ownedBy) = await records.InsertAsync(Guid.Parse(id), request, owner, CancellationToken.None);
        if (ownedBy is not null)
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"Session {id} already exists, on runner {ownedBy}."));
        }
        if (overLimit is { } active)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted,
                $"Owner '{owner}' has {active} sessions queued, running or paused; the limit is {request.MaxActiveForOwner}."),
                new Metadata { { ProblemCodes.GrpcTrailer, ProblemCodes.ConcurrencyLimit } });
        }
        try
        {
            var info = await QueueAsync(id, request, directory);
            if (inserted)
            {
                await TellParentAsync(id, request);
            }
            return info;
        }
        catch when (inserted)
        {
            // Refused after all: a session that never started is not on record.
            await records.DeleteAsync(Guid.Parse(id), CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// A child of a budgeted session draws on its tree's budget: its model calls count with the root's and every
    /// sibling's, against the root's budget (or the child's own, if lower).
    /// </summary>
    private SessionMeta UnderParentsBudget(SessionMeta meta)
    {
        if (meta.ParentSessionId is not { } parentId || !_sessions.TryGetValue(parentId, out var parent) || parent.Meta.BudgetUsd is not { } treeBudget)
        {
            return meta;
        }
        return meta with
        {
            BudgetUsd = meta.BudgetUsd is { } own ? Math.Min(own, treeBudget) : treeBudget,
            BudgetSessionId = parent.Meta.BudgetSessionId ?? Guid.Parse(parent.Id),
        };
    }

    /// <summary>A parent's history shows each session its agent started (when the parent runs here).</summary>
    private async Task TellParentAsync(string id, StartSessionRequest request)
    {
        if (NullIfEmpty(request.ParentSessionId) is not { } parentId || !_sessions.TryGetValue(parentId, out var parent))
        {
            return;
        }
        var metadata = new JsonObject
        {
            ["childSessionId"] = id,
            ["agent"] = request.Agent,
            ["depth"] = request.Depth,
        };
        await parent.EmitAsync(new AgentEvent(EventTypes.ChildSession, EventTypes.System, $"Started child session {id} ({request.Agent})", metadata));
    }

    private async Task<SessionInfo> QueueAsync(string id, StartSessionRequest request, string directory)
    {
        var meta = new SessionMeta
        {
            SessionId = id,
            Agent = request.Agent,
            Task = request.Task,
            Command = [.. request.Command],
            Provider = NullIfEmpty(request.Provider),
            Model = NullIfEmpty(request.Model),
            TimeoutSeconds = request.TimeoutSeconds > 0 ? request.TimeoutSeconds : _options.DefaultTimeoutSeconds,
            BudgetUsd = request.BudgetUsd > 0 ? (decimal)request.BudgetUsd : null,
            ApprovalPolicy = NullIfEmpty(request.ApprovalPolicy),
            ParentSessionId = NullIfEmpty(request.ParentSessionId),
            Depth = Math.Max(1, request.Depth),
            McpServersJson = NullIfEmpty(request.McpServersJson),
            CreatedByKey = NullIfEmpty(request.CreatedByKey),
            KeyBudgetUsd = request.KeyBudgetUsd > 0 ? (decimal)request.KeyBudgetUsd : null,
            KeyBudgetPeriod = NullIfEmpty(request.KeyBudgetPeriod),
            Status = SessionStatus.Queued,
            CreatedAt = DateTimeOffset.UtcNow,
            Limits = sandbox.Limits,
        };
        meta = UnderParentsBudget(meta);
        AgentSession session;
        lock (_uidGate)
        {
            try
            {
                meta = meta with { Uid = sandbox.AllocateUid(UidsOfActiveSessions(except: null)) };
            }
            catch (SandboxUnavailableException e)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted, e.Message));
            }
            // The request's trace (gateway → management-api → here): the session's run, and its model calls, join it.
            session = new AgentSession(meta, directory, Path.Combine(StateDirectory, id), 0, writer) { Origin = Activity.Current?.Context };
            if (!_sessions.TryAdd(id, session))
            {
                throw new RpcException(new Status(StatusCode.AlreadyExists, $"Session {id} already exists."));
            }
        }
        CreateStateDirectory(session.StateDirectory);
        sandbox.PrepareDirectory(directory, meta.Uid);
        await session.TransitionAsync(SessionStatus.Queued, EventTypes.Status, "Session queued");
        Enqueue(session);
        return session.ToInfo();
    }

    public async Task<SessionInfo> StopSessionAsync(string sessionId)
    {
        var session = Find(sessionId);
        if (SessionStatus.IsTerminal(session.Meta.Status))
        {
            return session.ToInfo();
        }
        session.StopRequested = true;
        if (TryDequeue(session))
        {
            await session.TransitionAsync(SessionStatus.Stopped, EventTypes.Complete, "Stopped before it started",
                change: m => m with { EndedAt = DateTimeOffset.UtcNow });
            return session.ToInfo();
        }
        if (session.Process is { } process)
        {
            Terminate(process);
        }
        // A session between dispatch and spawn sees StopRequested as soon as its process exists.
        return session.ToInfo();
    }

    public async Task<SessionInfo> PauseSessionAsync(string sessionId)
    {
        var session = Find(sessionId);
        if (session.Meta.Status is not (SessionStatus.Running or SessionStatus.WaitingApproval) || session.Process is not { } process)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"Only a running session can be paused; this one is {session.Meta.Status}."));
        }
        process.Signal(ProcessSignals.SIGSTOP);
        session.Timeout?.Pause();
        await session.TransitionAsync(SessionStatus.Paused, EventTypes.Status, "Paused");
        return session.ToInfo();
    }

    public async Task<SessionInfo> ResumeSessionAsync(string sessionId, string followUp)
    {
        var session = Find(sessionId);
        var status = session.Meta.Status;
        if (status == SessionStatus.Paused && session.Process is { } process)
        {
            process.Signal(ProcessSignals.SIGCONT);
            session.Timeout?.Resume();
            // A tool use may still wait for a person: the session waits with it.
            await session.TransitionAsync(session.PendingApprovals > 0 ? SessionStatus.WaitingApproval : SessionStatus.Running, EventTypes.Status, "Resumed");
            return session.ToInfo();
        }
        var adapter = adapters.Find(session.Meta.Agent);
        if (status is not (SessionStatus.Interrupted or SessionStatus.Completed or SessionStatus.Failed or SessionStatus.Stopped)
            || adapter is not { CanResume: true } || session.Meta.AgentSessionId is not { } agentSessionId)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, status switch
            {
                SessionStatus.Running or SessionStatus.Queued or SessionStatus.WaitingApproval => $"The session is already {status}.",
                _ when adapter is not { CanResume: true } => $"A {session.Meta.Agent} session cannot be continued once it ended.",
                _ => "The agent never reported a session id to continue from.",
            }));
        }
        // After a runner restart the counter is cold: numbering continues from what is persisted.
        if (session.LastSequence == 0)
        {
            session.RestoreSequence(await store.MaxSequenceAsync(Guid.Parse(session.Id), CancellationToken.None));
        }
        // Claimed under the gate the retention sweep takes: a session being pruned is not resumed, nor one being
        // resumed pruned (it would run outside this runner's books, its uid counted by nobody).
        lock (_lifecycleGate)
        {
            if (!_sessions.TryGetValue(session.Id, out var current) || !ReferenceEquals(current, session))
            {
                throw new RpcException(new Status(StatusCode.NotFound, $"Session {session.Id} is past its retention and was removed."));
            }
            session.Update(m => m with { Status = SessionStatus.Queued });
        }
        session.StopRequested = false;
        session.PendingResume = (agentSessionId, string.IsNullOrWhiteSpace(followUp) ? "Continue where you left off." : followUp);
        await session.TransitionAsync(SessionStatus.Queued, EventTypes.Status, "Resume queued");
        Enqueue(session);
        return session.ToInfo();
    }

    public SessionInfo Get(string sessionId) => Find(sessionId).ToInfo();

    /// <summary>The sessions whose directories this runner holds: its own.</summary>
    public IReadOnlyCollection<Guid> SessionIds => [.. _sessions.Keys.Select(Guid.Parse)];

    public DateTimeOffset StartedAt => _startedAt;

    public AgentSession Find(string sessionId) =>
        _sessions.TryGetValue(ParseId(sessionId), out var session)
            ? session
            : throw new RpcException(new Status(StatusCode.NotFound, $"Session {sessionId} is not on this runner."));

    public AgentSession? TryFind(string sessionId) =>
        Guid.TryParse(sessionId, out var id) && _sessions.TryGetValue(id.ToString(), out var session) ? session : null;

    public RunnerStatus GetStatus()
    {
        lock (_queueGate)
        {
            return new RunnerStatus
            {
                RunnerId = _options.RunnerId,
                Active = _running,
                Queued = _waiting.Count,
                MaxConcurrent = _options.MaxConcurrent,
                StartedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(_startedAt),
                SandboxMode = sandbox.Mode,
                SandboxAvailable = sandbox.Available,
                SandboxDetail = sandbox.Detail,
            };
        }
    }

    private void Enqueue(AgentSession session)
    {
        lock (_queueGate)
        {
            _waiting.AddLast(session);
        }
        Dispatch();
    }

    private bool TryDequeue(AgentSession session)
    {
        lock (_queueGate)
        {
            return _waiting.Remove(session);
        }
    }

    private void Dispatch()
    {
        lock (_queueGate)
        {
            while (!_shuttingDown && _running < _options.MaxConcurrent && _waiting.First?.Value is { } next)
            {
                _waiting.RemoveFirst();
                _running++;
                _runs[next.Id] = Task.Run(() => RunAsync(next));
            }
        }
    }

    private void Terminate(AgentProcess process)
    {
        process.Signal(ProcessSignals.SIGTERM);
        // A paused agent only acts on SIGTERM once it runs again.
        process.Signal(ProcessSignals.SIGCONT);
        _ = Task.Delay(TimeSpan.FromSeconds(_options.StopGraceSeconds)).ContinueWith(_ =>
        {
            if (!process.Exited.IsCompleted)
            {
                process.Signal(ProcessSignals.SIGKILL);
            }
        }, TaskScheduler.Default);
    }

    /// <summary>The uids of the sessions that will or do have processes: queued, running, paused.</summary>
    private IEnumerable<int?> UidsOfActiveSessions(AgentSession? except) =>
        _sessions.Values.Where(s => s != except && SessionStatus.IsActive(s.Meta.Status)).Select(s => s.Meta.Uid);

    private static RpcException SandboxUnavailable(SandboxUnavailableException e) =>
        new(new Status(StatusCode.FailedPrecondition, e.Message), new Metadata { { ProblemCodes.GrpcTrailer, ProblemCodes.SandboxUnavailable } });

    /// <summary>The runner's own record of a session: root's alone.</summary>
    private static void CreateStateDirectory(string path)
    {
        Directory.CreateDirectory(path);
        PosixFiles.SetMode(path, PosixFiles.OwnerOnly);
    }

    /// <summary>Session ids are UUIDs, checked before one becomes part of a path.</summary>
    private static string ParseId(string sessionId) =>
        Guid.TryParse(sessionId, out var id) ? id.ToString() : throw Invalid($"'{sessionId}' is not a session id (a UUID).");

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    private static string? NullIfEmpty(string value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
