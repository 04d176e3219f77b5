namespace AgentFleet.SessionRunner.Approvals;

/// <summary>
/// How risky a tool use is (low, medium, high), and a session's approval policy: the highest risk decided without a
/// person (none, low, medium, high). "none" queues every use that asks.
/// </summary>
public static class RiskLevels
{
    public const string None = "none";
    public const string Low = "low";
    public const string Medium = "medium";
    public const string High = "high";

    /// <summary>A session's policy when neither its request nor its template names one: low risks pass, the rest wait.</summary>
    public const string DefaultPolicy = Low;

    public static readonly string[] Risks = [Low, Medium, High];

    public static readonly string[] Policies = [None, Low, Medium, High];

    public static int Rank(string level) => level switch
    {
        Low => 1,
        Medium => 2,
        High => 3,
        _ => 0,
    };

    /// <summary>Whether a use of this risk is decided without a person under this policy.</summary>
    public static bool PassesWithout(string risk, string policy) => Rank(risk) <= Rank(policy);
}
