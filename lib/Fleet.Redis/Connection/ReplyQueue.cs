namespace AgentFleet.Redis.Connection;

/// <summary>
/// The replies a socket owes, in wire order. A plain queue under a lock: its array is reused, where a
/// ConcurrentQueue allocates new segments as it cycles. Writers already take turns, and the one reader
/// and the timeout sweep take the lock only for a moment.
/// </summary>
internal sealed class ReplyQueue
{
    private readonly Queue<(PendingReply Reply, short Version)> _items = new(64);
    private readonly Lock _gate = new();

    public bool IsEmpty
    {
        get
        {
            lock (_gate)
            {
                return _items.Count == 0;
            }
        }
    }

    public void Enqueue(PendingReply reply)
    {
        lock (_gate)
        {
            _items.Enqueue((reply, reply.Version));
        }
    }

    public bool TryDequeue(out (PendingReply Reply, short Version) item)
    {
        lock (_gate)
        {
            return _items.TryDequeue(out item);
        }
    }

    /// <summary>Fails, without removing them, the replies whose deadline has passed.</summary>
    public void FailOverdue(long now, Func<Exception> error)
    {
        lock (_gate)
        {
            foreach (var (reply, version) in _items)
            {
                if (reply.Deadline < now)
                {
                    reply.TryFail(error(), version);
                }
            }
        }
    }
}
