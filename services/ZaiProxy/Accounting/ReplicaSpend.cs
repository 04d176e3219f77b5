using System.Collections.Concurrent;

namespace AgentFleet.ZaiProxy.Accounting;

/// <summary>
/// This replica's own figure of what something has spent: the stored sum read once from <c>usage_records</c>, plus the
/// calls this process priced since (ahead of their batched rows). The whole truth with one replica; with shared
/// counters, what a replica goes on with while Redis does not answer.
/// </summary>
internal sealed class ReplicaSpend<TKey>(Func<TKey, Task<decimal>> load) where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Lazy<Figure>> _figures = new();

    public ICollection<TKey> Keys => _figures.Keys;

    public async ValueTask<decimal> SpentAsync(TKey key, CancellationToken cancellationToken)
    {
        var entry = _figures.GetOrAdd(key, k => new Lazy<Figure>(() => new Figure(load(k))));
        var figure = entry.Value;
        try
        {
            return await figure.Stored.WaitAsync(cancellationToken) + figure.Added;
        }
        catch when (figure.Stored.IsFaulted)
        {
            // A read that failed (the database away) is tried again by the next call, not remembered as the answer.
            _figures.TryRemove(KeyValuePair.Create(key, entry));
            throw;
        }
    }

    /// <summary>A call priced here: counted for a figure already read (one read later includes it from its row).</summary>
    public void Add(TKey key, decimal cost)
    {
        if (_figures.TryGetValue(key, out var entry))
        {
            entry.Value.Add(cost);
        }
    }

    /// <summary>Drops the figure while the shared counter answers, so a later outage starts from a fresh stored sum.</summary>
    public void Forget(TKey key) => _figures.TryRemove(key, out _);

    private sealed class Figure(Task<decimal> stored)
    {
        private readonly Lock _gate = new();
        private decimal _added;

        public Task<decimal> Stored => stored;

        public decimal Added
        {
            get
            {
                lock (_gate)
                {
                    return _added;
                }
            }
        }

        public void Add(decimal cost)
        {
            lock (_gate)
            {
                _added += cost;
            }
        }
    }
}
