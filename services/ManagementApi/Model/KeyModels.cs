namespace AgentFleet.ManagementApi.Model;

/// <summary><c>POST /v1/keys</c>. <c>owner</c> groups keys that reach the same resources; it defaults to the new key's id.</summary>
public sealed record CreateKeyRequest(string? Name, string? Role, string? Owner);

/// <summary>The one answer that holds the key itself: it is stored only as a hash.</summary>
public sealed record KeyCreated(Guid Id, string Name, string Role, string Owner, string Key, string Prefix, DateTimeOffset CreatedAt);

public sealed record KeyView(
    Guid Id, string Name, string Role, string Owner, string Prefix, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

public sealed record KeyList(IReadOnlyList<KeyView> Items);

/// <summary><c>GET /v1/keys/self</c>: who the gateway says the caller is.</summary>
public sealed record CallerView(string KeyId, string Owner, string Role);
