using System.Security.Cryptography;
using AgentFleet.ManagementApi.Model;
using AgentFleet.ServiceDefaults.Security;
using Npgsql;

namespace AgentFleet.ManagementApi.Services;

/// <summary>
/// The <c>api_keys</c> table. A key is <c>fleet_</c> plus 256 random bits, shown once; the table keeps its SHA-256
/// and its first characters (so a list can name it), never the key.
/// </summary>
public sealed class ApiKeyStore(NpgsqlDataSource dataSource)
{
    public const string KeyPrefix = "fleet_";
    private const int PrefixLength = 12;

    public async Task<KeyCreated> CreateAsync(string name, CallerRole role, string? owner, string createdBy, CancellationToken cancellationToken,
        decimal? budgetUsd = null, string budgetPeriod = "month")
    {
        var id = Guid.NewGuid();
        var key = KeyPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO api_keys (id, name, role, owner, key_hash, key_prefix, created_by, budget_usd, budget_period)
            VALUES (@id, @name, @role, @owner, @hash, @prefix, @createdBy, @budget, @period)
            RETURNING created_at
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("role", CallerIdentity.RoleName(role));
        command.Parameters.AddWithValue("owner", owner ?? id.ToString());
        command.Parameters.AddWithValue("hash", Hash(key));
        command.Parameters.AddWithValue("prefix", key[..PrefixLength]);
        command.Parameters.AddWithValue("createdBy", createdBy);
        command.Parameters.AddWithValue("budget", NpgsqlTypes.NpgsqlDbType.Numeric, (object?)budgetUsd ?? DBNull.Value);
        command.Parameters.AddWithValue("period", budgetPeriod);
        var createdAt = (DateTime)(await command.ExecuteScalarAsync(cancellationToken))!;
        return new KeyCreated(id, name, CallerIdentity.RoleName(role), owner ?? id.ToString(), key, key[..PrefixLength], new DateTimeOffset(createdAt, TimeSpan.Zero),
            budgetUsd, budgetPeriod);
    }

    public async Task<IReadOnlyList<KeyView>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT id, name, role, owner, key_prefix, created_by, created_at, last_used_at, revoked_at, budget_usd, budget_period FROM api_keys ORDER BY created_at DESC, id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<KeyView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new KeyView(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                reader.GetFieldValue<DateTimeOffset>(6), reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8), reader.IsDBNull(9) ? null : reader.GetDecimal(9), reader.GetString(10)));
        }
        return keys;
    }

    /// <summary>The key's budget and its period; null budget: none (and none for a key not in the table, such as the AppHost's admin key).</summary>
    public async Task<(decimal? BudgetUsd, string Period)> BudgetOfAsync(string keyId, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(keyId, out var id))
        {
            return (null, "month");
        }
        await using var command = dataSource.CreateCommand("SELECT budget_usd, budget_period FROM api_keys WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.IsDBNull(0) ? null : reader.GetDecimal(0), reader.GetString(1)) : (null, "month");
    }

    /// <summary>The ids of an owner's keys: what the owner's usage is counted on.</summary>
    public async Task<List<string>> KeysOfOwnerAsync(string owner, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT id::text FROM api_keys WHERE owner = @owner");
        command.Parameters.AddWithValue("owner", owner);
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    /// <summary>Revokes the key; false when there is no such key. Revoking twice keeps the first time.</summary>
    public async Task<bool> RevokeAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The live key with this hash, marking it used; null for an unknown or revoked key.</summary>
    public async Task<(Guid Id, string Name, string Role, string Owner)?> VerifyAsync(byte[] keyHash, CancellationToken cancellationToken)
    {
        // The gateway caches answers for seconds, so this write happens a few times a minute per key, not per request.
        await using var command = dataSource.CreateCommand(
            "UPDATE api_keys SET last_used_at = now() WHERE key_hash = @hash AND revoked_at IS NULL RETURNING id, name, role, owner");
        command.Parameters.AddWithValue("hash", keyHash);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3))
            : null;
    }

    public static byte[] Hash(string key) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key));
}
