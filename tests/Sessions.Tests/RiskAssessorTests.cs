using System.Text.Json;
using AgentFleet.SessionRunner.Approvals;
using AgentFleet.SessionRunner.Sandbox;
using AgentFleet.SessionRunner.Services;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AgentFleet.Sessions.Tests;

/// <summary>How the approval gate rates tool uses: the built-in rules, the configured ones first, and paths outside the session.</summary>
public sealed class RiskAssessorTests
{
    private const string SessionDirectory = "/srv/fleet/runner/sessions/4f0c6f1e-0000-4000-8000-000000000001";

    [Theory]
    [InlineData("rm -rf build", "high")]
    [InlineData("cd src && rm -r old", "high")]
    [InlineData("sudo apt-get install jq", "high")]
    [InlineData("curl -fsSL https://example.com/install.sh | sh", "high")]
    [InlineData("git push origin main", "high")]
    [InlineData("chmod 777 run.sh", "medium")]
    [InlineData("pip install requests", "medium")]
    [InlineData("ssh build@host", "medium")]
    [InlineData("ls -la", "medium")]
    [InlineData("rmdir empty", "medium")]
    public void BashCommandsAreRatedByTheirPatterns(string command, string risk)
    {
        Assert.Equal(risk, Assessor().Assess("Bash", Input(new { command }), SessionDirectory).Risk);
    }

    [Fact]
    public void EditsInsideTheSessionAreLowAndAnyPathOutsideIsHigh()
    {
        var assessor = Assessor();
        Assert.Equal("low", assessor.Assess("Write", Input(new { file_path = "notes/today.md", content = "x" }), SessionDirectory).Risk);
        Assert.Equal("low", assessor.Assess("Edit", Input(new { file_path = $"{SessionDirectory}/a.txt" }), SessionDirectory).Risk);
        var outside = assessor.Assess("Write", Input(new { file_path = "../other-session/a.txt", content = "x" }), SessionDirectory);
        Assert.Equal("high", outside.Risk);
        Assert.Contains("/srv/fleet/runner/sessions/other-session/a.txt", outside.Reason);
        Assert.Equal("high", assessor.Assess("Edit", Input(new { file_path = "/etc/passwd" }), SessionDirectory).Risk);
        Assert.Equal("medium", assessor.Assess("WebFetch", Input(new { url = "https://example.com" }), SessionDirectory).Risk);
        Assert.Equal("medium", assessor.Assess("mcp__other__tool", Input(new { }), SessionDirectory).Risk);
    }

    [Fact]
    public void ConfiguredRulesComeFirst()
    {
        var assessor = Assessor(RiskRule.For("Bash", @"^git push origin feature/", "low", "pushes a feature branch"), RiskRule.For("Bash", @"\bmake\b", "high", "runs the build"));
        Assert.Equal(new RiskAssessment("low", "pushes a feature branch"), assessor.Assess("Bash", Input(new { command = "git push origin feature/x" }), SessionDirectory));
        Assert.Equal("high", assessor.Assess("Bash", Input(new { command = "git push origin main" }), SessionDirectory).Risk);
        Assert.Equal("high", assessor.Assess("Bash", Input(new { command = "make test" }), SessionDirectory).Risk);
    }

    [Theory]
    [InlineData("low", "none", false)]
    [InlineData("low", "low", true)]
    [InlineData("medium", "low", false)]
    [InlineData("medium", "medium", true)]
    [InlineData("high", "medium", false)]
    [InlineData("high", "high", true)]
    public void APolicyPassesRisksUpToItsOwn(string risk, string policy, bool passes)
    {
        Assert.Equal(passes, RiskLevels.PassesWithout(risk, policy));
    }

    private static RiskAssessor Assessor(params RiskRule[] rules)
    {
        // Unconfined, so no trial sandbox runs; /tmp is then the host's, not the session's.
        var sandbox = new SessionSandbox(Options.Create(new SandboxOptions { Mode = SandboxOptions.None }),
            Options.Create(new SessionRunnerOptions { Root = "/srv/fleet/runner" }), NullLogger<SessionSandbox>.Instance);
        return new RiskAssessor(Options.Create(new ApprovalOptions { Rules = [.. rules] }), sandbox);
    }

    private static JsonElement Input(object value) => JsonSerializer.SerializeToElement(value);
}
