namespace AgentFleet.SessionRunner.Approvals;

/// <summary>The <c>Approvals</c> configuration section.</summary>
public sealed class ApprovalOptions
{
    public const string Section = "Approvals";

    /// <summary>How long a queued tool use waits for a person; then it is denied, and the agent is told why.</summary>
    public int TimeoutSeconds { get; set; } = 600;

    /// <summary>Rules checked before the built-in ones (<see cref="RiskAssessor.BuiltInRules"/>); the first that matches rates the use.</summary>
    public List<RiskRule> Rules { get; set; } = [];
}
