using AgentFleet.ZaiProxy.Contracts;

namespace AgentFleet.ManagementApi.Model;

/// <summary>Tokens and cost of one group: a session, an API key, a model or a UTC day.</summary>
public sealed record UsageLine(string Group, long Calls, long InputTokens, long OutputTokens, long CacheCreationTokens, long CacheReadTokens, double CostUsd)
{
    public static UsageLine From(UsageRow row) =>
        new(row.Group, row.Calls, row.InputTokens, row.OutputTokens, row.CacheCreationTokens, row.CacheReadTokens, row.CostUsd);
}

/// <summary><c>GET /v1/usage</c>: the lines of the grouping asked for, and their total.</summary>
public sealed record UsageView(string GroupBy, DateTimeOffset? From, DateTimeOffset? To, IReadOnlyList<UsageLine> Items, UsageLine Total);
