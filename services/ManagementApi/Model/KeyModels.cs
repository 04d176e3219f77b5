namespace AgentFleet.ManagementApi.Model;

/// <summary>
/// <c>POST /v1/keys</c>. <c>owner</c> groups keys that reach the same resources; it defaults to the new key's id.
/// <c>budgetUsd</c> caps what the key's sessions spend on the model per <c>budgetPeriod</c> (month, the default, or total).
/// </summary>
public sealed record CreateKeyRequest(string? Name, string? Role, string? Owner, decimal? BudgetUsd = null, string? BudgetPeriod = null);

/// <summary>The one answer that holds the key itself: it is stored only as a hash.</summary>
public sealed record KeyCreated(Guid Id, string Name, string Role, string Owner, string Key, string Prefix, DateTimeOffset CreatedAt,
    decimal? BudgetUsd = null, string BudgetPeriod = "month");

/// <summary>A key without its secret; with a budget, what its sessions spent in the period and what is left.</summary>
public sealed record KeyView(
    Guid Id, string Name, string Role, string Owner, string Prefix, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt,
    decimal? BudgetUsd = null, string BudgetPeriod = "month", decimal? SpentUsd = null, decimal? RemainingUsd = null);

public sealed record KeyList(IReadOnlyList<KeyView> Items);

/// <summary><c>GET /v1/keys/self</c>: who the gateway says the caller is.</summary>
public sealed record CallerView(string KeyId, string Owner, string Role);
