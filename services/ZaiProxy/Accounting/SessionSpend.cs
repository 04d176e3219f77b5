using System.Collections.Concurrent;
using Npgsql;

namespace AgentFleet.ZaiProxy.Accounting;

/// <summary>
/// What each budget group (a session, with the children agents started under it) has spent on the model, for budgets:
/// read once from <c>usage_records</c> (so a restarted proxy remembers), then kept up to date in memory as calls are
/// priced, ahead of the batched row writes.
/// </summary>
public sealed class SessionSpend(NpgsqlDataSource database)
{
    private readonly ConcurrentDictionary<Guid, Lazy<Task<decimal>>> _loaded = new();
    private readonly ConcurrentDictionary<Guid, decimal> _added = new();

    public async ValueTask<decimal> SpentAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        var stored = await _loaded.GetOrAdd(sessionId, id => new Lazy<Task<decimal>>(() => LoadAsync(id))).Value.WaitAsync(cancellationToken);
        return stored + _added.GetValueOrDefault(sessionId);
    }

    /// <summary>A call priced in this process since the stored figure was read.</summary>
    public void Add(Guid sessionId, decimal cost)
    {
        if (_loaded.ContainsKey(sessionId))
        {
            _added.AddOrUpdate(sessionId, cost, (_, spent) => spent + cost);
        }
    }

    private async Task<decimal> LoadAsync(Guid sessionId)
    {
        await using var command = database.CreateCommand("SELECT coalesce(sum(cost_usd), 0) FROM usage_records WHERE budget_session_id = $1");
        command.Parameters.AddWithValue(sessionId);
        return (decimal)(await command.ExecuteScalarAsync())!;
    }
}
