using System.Globalization;
using AgentFleet.ZaiProxy.Auth;
using AgentFleet.ZaiProxy.Upstream;

namespace AgentFleet.ZaiProxy.Accounting;

/// <summary>
/// A session whose key carries a budget gets no further model calls once it has spent it: 402 <c>budget_exceeded</c>
/// in Anthropic's <c>billing_error</c> shape, which agents treat as final rather than retrying. The call that crosses
/// the line completes (its cost is only known at its end); the next one is refused.
/// </summary>
public static class BudgetGuard
{
    public static async Task<bool> RefuseIfSpentAsync(HttpContext context, Caller caller, SessionSpend spend)
    {
        if (caller is not { BudgetUsd: { } budget, SessionId: { } sessionId })
        {
            return false;
        }
        var spent = await spend.SpentAsync(sessionId, context.RequestAborted);
        if (spent < budget)
        {
            return false;
        }
        await AnthropicErrors.WriteAsync(context, StatusCodes.Status402PaymentRequired, "budget_exceeded",
            string.Create(CultureInfo.InvariantCulture, $"This session's budget of ${budget:0.######} is spent (${spent:0.######} so far)."));
        return true;
    }
}
