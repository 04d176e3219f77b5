using System.Globalization;
using AgentFleet.ServiceDefaults.Security;
using Npgsql;

namespace AgentFleet.ZaiProxy.Accounting;

/// <summary>
/// What each API key has spent in its budget's current period (the calendar month in UTC, or all time), kept as
/// <see cref="SessionSpend"/> keeps a session's: shared across replicas when Redis answers, else this replica's figure.
/// The month is in the counter's name, so a new month starts a new counter and the old one expires.
/// </summary>
public sealed class KeySpend(NpgsqlDataSource database, SpendCounters shared, TimeProvider time)
{
    private readonly ReplicaSpend<(string Key, DateTimeOffset Since)> _replica = new(period => LoadAsync(database, period.Key, period.Since));

    public async ValueTask<decimal> SpentAsync(PayingKey payer, CancellationToken cancellationToken)
    {
        var since = payer.PeriodStart(time.GetUtcNow());
        var period = (payer.KeyId, since);
        if (await shared.ReadAsync(CounterKey(payer.KeyId, since), () => LoadAsync(database, payer.KeyId, since), cancellationToken) is { } spent)
        {
            _replica.Forget(period);
            return spent;
        }
        return await _replica.SpentAsync(period, cancellationToken);
    }

    /// <summary>
    /// A call priced in this process: added to the key's month and all-time counters (whichever a budget has read),
    /// and to every period of the key this replica has read itself.
    /// </summary>
    public Task AddAsync(string keyId, decimal cost)
    {
        foreach (var period in _replica.Keys)
        {
            if (period.Key == keyId)
            {
                _replica.Add(period, cost);
            }
        }
        var now = time.GetUtcNow();
        return shared.AddAsync([CounterKey(keyId, PayingKey.PeriodStart(true, now)), CounterKey(keyId, PayingKey.PeriodStart(false, now))], cost);
    }

    public static string CounterKey(string keyId, DateTimeOffset since) =>
        $"{SpendCounters.Prefix}key:{keyId}:{(since == DateTimeOffset.MinValue ? "total" : since.ToString("yyyy-MM", CultureInfo.InvariantCulture))}";

    private static async Task<decimal> LoadAsync(NpgsqlDataSource database, string keyId, DateTimeOffset since)
    {
        await using var command = database.CreateCommand("SELECT coalesce(sum(cost_usd), 0) FROM usage_records WHERE api_key_id = $1 AND created_at >= $2");
        command.Parameters.AddWithValue(keyId);
        command.Parameters.AddWithValue(since.UtcDateTime);
        return (decimal)(await command.ExecuteScalarAsync())!;
    }
}
