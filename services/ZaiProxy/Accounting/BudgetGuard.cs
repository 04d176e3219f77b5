using System.Globalization;
using AgentFleet.ZaiProxy.Auth;
using AgentFleet.ZaiProxy.Upstream;

namespace AgentFleet.ZaiProxy.Accounting;

/// <summary>
/// A session whose key carries a budget gets no further model calls once it has spent it, and neither does any
/// session of an API key that has spent its own budget for the period: 402 <c>budget_exceeded</c> in Anthropic's
/// <c>billing_error</c> shape, which agents treat as final rather than retrying. The call that crosses the line
/// completes (its cost is only known at its end); the next one is refused.
/// </summary>
public sealed class BudgetGuard(SessionSpend sessions, KeySpend keys)
{
    /// <summary>Why the caller may not spend more, or null when it may.</summary>
    public async Task<string?> RefusalAsync(Caller caller, CancellationToken cancellationToken)
    {
        if (caller is { BudgetUsd: { } budget, SessionId: { } sessionId })
        {
            // A child started by an agent draws on its tree's budget: the root's spending and every child's.
            var group = caller.BudgetGroup ?? sessionId;
            var spent = await sessions.SpentAsync(group, cancellationToken);
            if (spent >= budget)
            {
                return group == sessionId
                    ? string.Create(CultureInfo.InvariantCulture, $"This session's budget of ${budget:0.######} is spent (${spent:0.######} so far).")
                    : string.Create(CultureInfo.InvariantCulture, $"The budget of session {group} and the sessions it started, ${budget:0.######}, is spent (${spent:0.######} so far).");
            }
        }
        if (caller.Payer is { BudgetUsd: { } keyBudget } payer)
        {
            var spent = await keys.SpentAsync(payer, cancellationToken);
            if (spent >= keyBudget)
            {
                var period = payer.Monthly ? "this month" : "in all";
                return string.Create(CultureInfo.InvariantCulture, $"The budget of API key {payer.KeyId}, ${keyBudget:0.######} {period}, is spent (${spent:0.######}).");
            }
        }
        return null;
    }

    public async Task<bool> RefuseIfSpentAsync(HttpContext context, Caller caller)
    {
        if (await RefusalAsync(caller, context.RequestAborted) is not { } refusal)
        {
            return false;
        }
        await AnthropicErrors.WriteAsync(context, StatusCodes.Status402PaymentRequired, "budget_exceeded", refusal);
        return true;
    }
}
