using Npgsql;

namespace AgentFleet.ZaiProxy.Accounting;

/// <summary>
/// What each budget group (a session, with the children agents started under it) has spent on the model, for budgets:
/// a counter shared by the replicas (<see cref="SpendCounters"/>) when Redis is configured and answers, else this
/// replica's own figure (the stored sum, read once so a restarted proxy remembers, plus the calls priced here).
/// </summary>
public sealed class SessionSpend(NpgsqlDataSource database, SpendCounters shared)
{
    private readonly ReplicaSpend<Guid> _replica = new(group => LoadAsync(database, group));

    public async ValueTask<decimal> SpentAsync(Guid group, CancellationToken cancellationToken)
    {
        if (await shared.ReadAsync(CounterKey(group), () => LoadAsync(database, group), cancellationToken) is { } spent)
        {
            _replica.Forget(group);
            return spent;
        }
        return await _replica.SpentAsync(group, cancellationToken);
    }

    /// <summary>A call priced in this process, counted before its row is queued.</summary>
    public Task AddAsync(Guid group, decimal cost)
    {
        _replica.Add(group, cost);
        return shared.AddAsync([CounterKey(group)], cost);
    }

    public static string CounterKey(Guid group) => $"{SpendCounters.Prefix}session:{group:N}";

    private static async Task<decimal> LoadAsync(NpgsqlDataSource database, Guid group)
    {
        await using var command = database.CreateCommand("SELECT coalesce(sum(cost_usd), 0) FROM usage_records WHERE budget_session_id = $1");
        command.Parameters.AddWithValue(group);
        return (decimal)(await command.ExecuteScalarAsync())!;
    }
}
