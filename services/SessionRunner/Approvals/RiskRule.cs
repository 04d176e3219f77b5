using System.Text.RegularExpressions;

namespace AgentFleet.SessionRunner.Approvals;

/// <summary>
/// One line of <c>Approvals:Rules</c>: a tool (its exact name, or <c>*</c>), optionally a regular expression that must
/// match its input (a Bash use's command; any other tool's input as JSON text), and the risk such a use carries.
/// </summary>
public sealed class RiskRule
{
    public string Tool { get; set; } = "*";

    public string? Pattern { get; set; }

    public string Risk { get; set; } = RiskLevels.Medium;

    public string Reason { get; set; } = "";

    private Regex? _regex;

    public bool Matches(string tool, string subject)
    {
        if (Tool != "*" && !string.Equals(Tool, tool, StringComparison.Ordinal))
        {
            return false;
        }
        if (string.IsNullOrEmpty(Pattern))
        {
            return true;
        }
        // A pathological pattern from configuration must not hold an agent's tool use for long.
        _regex ??= new Regex(Pattern, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromMilliseconds(200));
        return _regex.IsMatch(subject);
    }

    public static RiskRule For(string tool, string? pattern, string risk, string reason) => new() { Tool = tool, Pattern = pattern, Risk = risk, Reason = reason };
}
