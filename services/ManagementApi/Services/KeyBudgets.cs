using AgentFleet.ManagementApi.Model;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.ZaiProxy.Contracts;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace AgentFleet.ManagementApi.Services;

/// <summary>What keys have spent in their budget's period, from ZaiProxy's usage records (GetUsageReport).</summary>
public sealed class KeyBudgets(ZaiProxyGrpc.ZaiProxyClient proxy)
{
    public async Task<decimal> SpentAsync(string keyId, string period, CancellationToken cancellationToken)
    {
        var spent = await SpentByKeyAsync([keyId], period, cancellationToken);
        return spent.GetValueOrDefault(keyId);
    }

    /// <summary>The given keys' budgets with what each spent and has left; keys without a budget as they are. Without ZaiProxy, the spend is left out.</summary>
    public async Task<List<KeyView>> WithSpendAsync(IReadOnlyList<KeyView> keys, CancellationToken cancellationToken)
    {
        var budgeted = keys.Where(k => k.BudgetUsd is not null).ToList();
        var spent = new Dictionary<string, decimal>();
        try
        {
            foreach (var period in budgeted.Select(k => k.BudgetPeriod).Distinct())
            {
                foreach (var (key, amount) in await SpentByKeyAsync([.. budgeted.Where(k => k.BudgetPeriod == period).Select(k => k.Id.ToString())], period, cancellationToken))
                {
                    spent[key] = amount;
                }
            }
        }
        catch (RpcException)
        {
            return [.. keys];
        }
        return [.. keys.Select(k => k.BudgetUsd is { } budget
            ? k with { SpentUsd = spent.GetValueOrDefault(k.Id.ToString()), RemainingUsd = Math.Max(0, budget - spent.GetValueOrDefault(k.Id.ToString())) }
            : k)];
    }

    private async Task<Dictionary<string, decimal>> SpentByKeyAsync(IReadOnlyList<string> keyIds, string period, CancellationToken cancellationToken)
    {
        var request = new UsageReportRequest { GroupBy = "key" };
        request.ApiKeyIds.AddRange(keyIds);
        if (period != "total")
        {
            request.From = Timestamp.FromDateTimeOffset(PayingKey.PeriodStart(monthly: true, DateTimeOffset.UtcNow));
        }
        var report = await proxy.GetUsageReportAsync(request, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken));
        return report.Rows.ToDictionary(r => r.Group, r => (decimal)r.CostUsd);
    }
}
