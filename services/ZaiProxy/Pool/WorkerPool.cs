using AgentFleet.ZaiProxy.Options;
using Microsoft.Extensions.Options;

namespace AgentFleet.ZaiProxy.Pool;

/// <summary>The pool is busy and its queue is full: the caller should come back later.</summary>
public sealed class QueueFullException(TimeSpan retryAfter) : Exception("Every worker is busy and the queue is full.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>
/// At most <see cref="PoolOptions.Size"/> upstream calls at once; up to <see cref="PoolOptions.MaxQueue"/> more wait
/// in FIFO order. A waiter whose caller goes away (its token cancelled) leaves the queue at once, so the queue holds
/// only callers still listening.
/// </summary>
public sealed class WorkerPool(IOptions<PoolOptions> options)
{
    private readonly PoolOptions _options = options.Value;
    private readonly LinkedList<TaskCompletionSource<Lease>> _waiters = new();
    private readonly Lock _gate = new();
    private int _busy;

    public int Size => _options.Size;

    public int MaxQueue => _options.MaxQueue;

    public int Busy
    {
        get
        {
            lock (_gate)
            {
                return _busy;
            }
        }
    }

    public int QueueLength
    {
        get
        {
            lock (_gate)
            {
                return _waiters.Count;
            }
        }
    }

    /// <summary>A worker for one call; dispose the lease to give it back. Throws <see cref="QueueFullException"/> when there is no room.</summary>
    public async ValueTask<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<Lease> waiter;
        LinkedListNode<TaskCompletionSource<Lease>> node;
        lock (_gate)
        {
            if (_busy < _options.Size && _waiters.Count == 0)
            {
                _busy++;
                return new Lease(this);
            }
            if (_waiters.Count >= _options.MaxQueue)
            {
                throw new QueueFullException(RetryAfterEstimate());
            }
            waiter = new TaskCompletionSource<Lease>(TaskCreationOptions.RunContinuationsAsynchronously);
            node = _waiters.AddLast(waiter);
        }
        await using var registration = cancellationToken.Register(() =>
        {
            lock (_gate)
            {
                if (node.List is not null)
                {
                    _waiters.Remove(node);
                }
            }
            waiter.TrySetCanceled(cancellationToken);
        });
        return await waiter.Task;
    }

    private void Release()
    {
        TaskCompletionSource<Lease>? next = null;
        lock (_gate)
        {
            // The worker passes straight to the longest waiter, so a newcomer cannot overtake the queue.
            while (_waiters.First is { } first)
            {
                _waiters.RemoveFirst();
                if (!first.Value.Task.IsCompleted)
                {
                    next = first.Value;
                    break;
                }
            }
            if (next is null)
            {
                _busy--;
            }
        }
        if (next is not null && !next.TrySetResult(new Lease(this)))
        {
            // Cancelled between the dequeue and now: hand the worker on.
            Release();
        }
    }

    // A rough wait: one typical call per queued request spread over the workers, at least a second.
    private TimeSpan RetryAfterEstimate() => TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling((double)_waiters.Count / Math.Max(1, _options.Size))));

    public sealed class Lease(WorkerPool pool) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                pool.Release();
            }
        }
    }
}
