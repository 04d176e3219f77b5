using System.Text.Json.Nodes;
using AgentFleet.SessionRunner.Agents;
using AgentFleet.SessionRunner.Contracts;
using AgentFleet.SessionRunner.Model;
using AgentFleet.SessionRunner.Sandbox;
using Google.Protobuf.WellKnownTypes;

namespace AgentFleet.SessionRunner.Services;

/// <summary>
/// One session this runner owns: its state, its directory, and the single place its events are numbered.
/// Numbering and queueing happen under one gate, so events enter the writer's queue in sequence order.
/// </summary>
public sealed class AgentSession(SessionMeta meta, string directory, string stateDirectory, long lastSequence, SessionEventWriter writer)
{
    private readonly SemaphoreSlim _emitGate = new(1, 1);
    private long _lastSequence = lastSequence;
    private long _persistedSequence = lastSequence;

    public string Id { get; } = meta.SessionId;

    /// <summary>The agent's own directory: its working directory and its home (claude keeps the transcripts it resumes from there).</summary>
    public string Directory { get; } = directory;

    /// <summary>The runner's record of the session (meta file, raw log), which the agent never sees.</summary>
    public string StateDirectory { get; } = stateDirectory;

    public string LogPath => Path.Combine(StateDirectory, ".session.log");

    public SessionMeta Meta { get; private set; } = meta;

    public long LastSequence => Interlocked.Read(ref _lastSequence);

    public long PersistedSequence => Interlocked.Read(ref _persistedSequence);

    /// <summary>The running agent, while there is one.</summary>
    public AgentProcess? Process { get; set; }

    /// <summary>What the next launch continues: the agent's session id and the follow-up prompt.</summary>
    public (string AgentSessionId, string Task)? PendingResume { get; set; }

    public bool StopRequested { get; set; }

    private int _pendingApprovals;

    /// <summary>Tool uses of this session waiting for a person now.</summary>
    public int PendingApprovals => Volatile.Read(ref _pendingApprovals);

    /// <summary>Counts a queued tool use; true when it is the only one (the session starts waiting).</summary>
    public bool ApprovalQueued() => Interlocked.Increment(ref _pendingApprovals) == 1;

    public void ApprovalSettled() => Interlocked.Decrement(ref _pendingApprovals);

    /// <summary>The trace of the request that created the session, in this process only: a run after a restart starts its own.</summary>
    public System.Diagnostics.ActivityContext? Origin { get; init; }

    /// <summary>The running agent's time limit, paused with it.</summary>
    public PausableTimeout? Timeout { get; set; }

    /// <summary>Numbering continues after the last persisted event (on recovery and on a resume after a restart).</summary>
    internal void RestoreSequence(long sequence)
    {
        Interlocked.Exchange(ref _lastSequence, sequence);
        Interlocked.Exchange(ref _persistedSequence, sequence);
    }

    internal void MarkPersisted(long sequence)
    {
        long current;
        while ((current = Interlocked.Read(ref _persistedSequence)) < sequence
               && Interlocked.CompareExchange(ref _persistedSequence, sequence, current) != current)
        {
        }
    }

    public void Update(Func<SessionMeta, SessionMeta> change)
    {
        lock (this)
        {
            Meta = change(Meta);
            Meta.Save(StateDirectory);
        }
    }

    public async Task<long> EmitAsync(AgentEvent agentEvent, CancellationToken cancellationToken = default)
    {
        await _emitGate.WaitAsync(cancellationToken);
        try
        {
            var sequence = _lastSequence + 1;
            var sessionEvent = new SessionEvent
            {
                Id = Guid.NewGuid().ToString(),
                SessionId = Id,
                Sequence = sequence,
                Type = agentEvent.Type,
                Role = agentEvent.Role,
                Content = WithoutNul(agentEvent.Content),
                // The serializer writes NUL as the escape \u0000, which jsonb refuses just the same.
                MetadataJson = agentEvent.Metadata?.ToJsonString().Replace("\\u0000", "\\uFFFD", StringComparison.Ordinal) ?? "",
                Raw = WithoutNul(agentEvent.Raw),
                CreatedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
            };
            sessionEvent.EndsRun = SessionEvents.EndsRun(sessionEvent);
            await writer.EnqueueAsync(sessionEvent, cancellationToken);
            Interlocked.Exchange(ref _lastSequence, sequence);
            return sequence;
        }
        finally
        {
            _emitGate.Release();
        }
    }

    /// <summary>
    /// An agent may print NUL, which PostgreSQL's text and jsonb refuse: kept, it would fail every insert of the batch
    /// it rode in, for every session. It becomes U+FFFD, the character for what could not be represented.
    /// </summary>
    private static string WithoutNul(string? text) => text is null ? "" : text.Contains('\0') ? text.Replace('\0', '\uFFFD') : text;

    /// <summary>
    /// Moves to <paramref name="status"/>, saves the meta file, and emits the event that says so. Every such event
    /// carries a snapshot of the session under <c>sessionStatus</c> and friends: the latest one is the session's state.
    /// </summary>
    public async Task TransitionAsync(string status, string type, string content, JsonObject? extra = null, Func<SessionMeta, SessionMeta>? change = null)
    {
        Update(m => (change?.Invoke(m) ?? m) with { Status = status });
        var metadata = extra ?? new JsonObject();
        foreach (var (key, value) in Snapshot())
        {
            metadata[key] = value?.DeepClone();
        }
        var sequence = await EmitAsync(new AgentEvent(type, EventTypes.System, content, metadata));
        // Read-your-writes: a caller told "paused" finds it paused in the history the API reads.
        for (var waited = 0; PersistedSequence < sequence && waited < 5000; waited += 2)
        {
            await Task.Delay(2);
        }
    }

    private JsonObject Snapshot() => JsonLine.Compact(new JsonObject
    {
        ["sessionStatus"] = Meta.Status,
        ["pid"] = Meta.Pid,
        ["exitCode"] = Meta.ExitCode,
        ["startedAt"] = Meta.StartedAt,
        ["endedAt"] = Meta.EndedAt,
        ["durationMs"] = Meta.StartedAt is { } started && Meta.EndedAt is { } ended ? (long)(ended - started).TotalMilliseconds : null,
        ["totalCostUsd"] = Meta.TotalCostUsd,
        ["agentSessionId"] = Meta.AgentSessionId,
    });

    private static SandboxInfo SandboxView(SessionMeta meta)
    {
        var limits = meta.Limits ?? new SandboxLimits();
        return new SandboxInfo
        {
            Mode = meta.Uid is null ? SandboxOptions.None : SandboxOptions.Bubblewrap,
            HasUid = meta.Uid is not null,
            Uid = meta.Uid ?? 0,
            MaxProcesses = limits.MaxProcesses,
            MaxOpenFiles = limits.MaxOpenFiles,
            MaxFileSizeMb = limits.MaxFileSizeMb,
            MaxMemoryMb = limits.MaxMemoryMb,
            TmpSizeMb = limits.TmpSizeMb,
        };
    }

    public SessionInfo ToInfo()
    {
        var meta = Meta;
        var info = new SessionInfo
        {
            SessionId = Id,
            Status = meta.Status,
            Agent = meta.Agent,
            Task = meta.Task,
            SessionDir = Directory,
            Pid = meta.Pid ?? 0,
            HasExitCode = meta.ExitCode is not null,
            ExitCode = meta.ExitCode ?? 0,
            CreatedAt = Timestamp.FromDateTimeOffset(meta.CreatedAt),
            AgentSessionId = meta.AgentSessionId ?? "",
            TotalCostUsd = meta.TotalCostUsd,
            LastSequence = LastSequence,
            Sandbox = SandboxView(meta),
        };
        if (meta.StartedAt is { } startedAt)
        {
            info.StartedAt = Timestamp.FromDateTimeOffset(startedAt);
        }
        if (meta.EndedAt is { } endedAt)
        {
            info.EndedAt = Timestamp.FromDateTimeOffset(endedAt);
        }
        return info;
    }
}
