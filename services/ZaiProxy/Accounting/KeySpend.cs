using System.Collections.Concurrent;
using AgentFleet.ServiceDefaults.Security;
using Npgsql;

namespace AgentFleet.ZaiProxy.Accounting;

/// <summary>
/// What each API key has spent in its budget's current period (the month, or all time): read once from
/// <c>usage_records</c>, then kept up to date in memory as calls are priced, as <see cref="SessionSpend"/> is for sessions.
/// </summary>
public sealed class KeySpend(NpgsqlDataSource database, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Key, DateTimeOffset Since), Lazy<Task<decimal>>> _loaded = new();
    private readonly ConcurrentDictionary<(string Key, DateTimeOffset Since), decimal> _added = new();

    public async ValueTask<decimal> SpentAsync(PayingKey payer, CancellationToken cancellationToken)
    {
        var period = (payer.KeyId, payer.PeriodStart(time.GetUtcNow()));
        var stored = await _loaded.GetOrAdd(period, p => new Lazy<Task<decimal>>(() => LoadAsync(p.Key, p.Since))).Value.WaitAsync(cancellationToken);
        return stored + _added.GetValueOrDefault(period);
    }

    /// <summary>A call priced in this process: added to every period of the key already read.</summary>
    public void Add(string keyId, decimal cost)
    {
        foreach (var period in _loaded.Keys)
        {
            if (period.Key == keyId)
            {
                _added.AddOrUpdate(period, cost, (_, spent) => spent + cost);
            }
        }
    }

    private async Task<decimal> LoadAsync(string keyId, DateTimeOffset since)
    {
        await using var command = database.CreateCommand("SELECT coalesce(sum(cost_usd), 0) FROM usage_records WHERE api_key_id = $1 AND created_at >= $2");
        command.Parameters.AddWithValue(keyId);
        command.Parameters.AddWithValue(since.UtcDateTime);
        return (decimal)(await command.ExecuteScalarAsync())!;
    }
}
