using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;
using AgentFleet.Redis.Protocol;

namespace AgentFleet.Redis.Connection;

/// <summary>
/// The slot a command's reply lands in: pooled and reused, so waiting for a reply allocates nothing.
/// Two parties own a slot (the caller awaiting it and the connection's queue of replies owed); it goes back
/// to the pool when both are done with it. Completion is tied to the slot's version, so a late timeout or
/// cancellation can never complete the slot's next use.
/// </summary>
internal sealed class PendingReply : IValueTaskSource<RespValue>
{
    private static readonly ConcurrentQueue<PendingReply> Pool = new();
    private const int MaxPooled = 1024;

    private ManualResetValueTaskSourceCore<RespValue> _core = new() { RunContinuationsAsynchronously = true };

    // The version and a completed bit in one word: completing is one compare-and-swap that fails for any
    // other use of the slot.
    private int _state;
    private int _owners;
    private CancellationTokenRegistration _cancellation;

    /// <summary>When the caller stops waiting (a Stopwatch timestamp).</summary>
    public long Deadline { get; private set; }

    public short Version => _core.Version;

    public static PendingReply Rent(long deadline, CancellationToken cancellationToken)
    {
        if (!Pool.TryDequeue(out var reply))
        {
            reply = new PendingReply();
        }
        reply._owners = 2;
        reply._state = reply.Version << 1;
        reply.Deadline = deadline;
        if (cancellationToken.CanBeCanceled)
        {
            var version = reply.Version;
            reply._cancellation = cancellationToken.UnsafeRegister(_ => reply.TryFail(new OperationCanceledException(cancellationToken), version), null);
        }
        return reply;
    }

    public ValueTask<RespValue> Task => new(this, _core.Version);

    public bool TryComplete(RespValue value, short version)
    {
        if (!TryClaim(version))
        {
            return false;
        }
        _core.SetResult(value);
        return true;
    }

    public bool TryFail(Exception error, short version)
    {
        if (!TryClaim(version))
        {
            return false;
        }
        _core.SetException(error);
        return true;
    }

    private bool TryClaim(short version) =>
        Interlocked.CompareExchange(ref _state, (version << 1) | 1, version << 1) == version << 1;

    /// <summary>The queue's side is done: the reply arrived (or never will).</summary>
    public void ReleaseFromQueue() => Release();

    /// <summary>The caller will never await this slot (its command failed before it was sent): give up its side.</summary>
    public void Abandon()
    {
        _cancellation.Dispose();
        _cancellation = default;
        Release();
    }

    public RespValue GetResult(short token)
    {
        // Only the one valid read of a completed slot gives up the caller's side; a misuse must not free a slot still queued.
        if (token != _core.Version || _core.GetStatus(token) == ValueTaskSourceStatus.Pending)
        {
            return _core.GetResult(token);
        }
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _cancellation.Dispose();
            _cancellation = default;
            Release();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Release()
    {
        if (Interlocked.Decrement(ref _owners) == 0)
        {
            _core.Reset();
            if (Pool.Count < MaxPooled)
            {
                Pool.Enqueue(this);
            }
        }
    }
}
