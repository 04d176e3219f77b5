using System.Text.Json;
using AgentFleet.SessionRunner.Sandbox;
using Microsoft.Extensions.Options;

namespace AgentFleet.SessionRunner.Approvals;

/// <summary>What a tool use risks, and why: the rate a person sees beside it in the queue.</summary>
public sealed record RiskAssessment(string Risk, string Reason);

/// <summary>
/// Rates a tool use from its tool, a Bash use's command, and the paths it names. The configured rules come first
/// (<c>Approvals:Rules</c>), then the built-in ones; whichever rule matches first rates the use. A path outside the
/// session's own directory makes any use high, whatever the rules say.
/// </summary>
public sealed class RiskAssessor(IOptions<ApprovalOptions> options, SessionSandbox sandbox)
{
    private static readonly string[] PathFields = ["file_path", "path", "notebook_path"];

    public static readonly IReadOnlyList<RiskRule> BuiltInRules =
    [
        RiskRule.For("Bash", @"\brm\s+(-\w*[rR]\w*|--recursive)\b", RiskLevels.High, "removes files recursively"),
        RiskRule.For("Bash", @"(^|[;&|(]\s*|\s)(sudo|su|doas)\s", RiskLevels.High, "runs as another user"),
        RiskRule.For("Bash", @"\b(curl|wget)\b[^|;&]*\|\s*(sudo\s+)?(ba|z|da|k)?sh\b", RiskLevels.High, "pipes a download into a shell"),
        RiskRule.For("Bash", @"\bgit\s+push\b", RiskLevels.High, "pushes to a remote repository"),
        RiskRule.For("Bash", @"\b(dd|mkfs(\.\w+)?|shred)\s", RiskLevels.High, "can destroy data beyond recovery"),
        RiskRule.For("Bash", @"\b(chmod|chown|chgrp)\s", RiskLevels.Medium, "changes permissions or ownership"),
        RiskRule.For("Bash", @"\b(apt|apt-get|dnf|yum|apk|brew|snap)\s+(install|remove|purge)\b|\bpip3?\s+install\b|\bnpm\s+(install|i|add)\b|\b(yarn|pnpm)\s+add\b|\b(cargo|gem|go)\s+install\b", RiskLevels.Medium, "installs packages"),
        RiskRule.For("Bash", @"\b(curl|wget|nc|ncat|netcat|ssh|scp|sftp|rsync|telnet|ftp)\b", RiskLevels.Medium, "uses the network"),
        RiskRule.For("Bash", null, RiskLevels.Medium, "runs a shell command"),
        RiskRule.For("Read", null, RiskLevels.Low, "reads a file"),
        RiskRule.For("Glob", null, RiskLevels.Low, "lists files"),
        RiskRule.For("Grep", null, RiskLevels.Low, "searches files"),
        RiskRule.For("LS", null, RiskLevels.Low, "lists files"),
        RiskRule.For("TodoWrite", null, RiskLevels.Low, "keeps the agent's to-do list"),
        RiskRule.For("Write", null, RiskLevels.Low, "writes a file in the session directory"),
        RiskRule.For("Edit", null, RiskLevels.Low, "edits a file in the session directory"),
        RiskRule.For("MultiEdit", null, RiskLevels.Low, "edits a file in the session directory"),
        RiskRule.For("NotebookEdit", null, RiskLevels.Low, "edits a notebook in the session directory"),
        RiskRule.For("WebFetch", null, RiskLevels.Medium, "fetches from the network"),
        RiskRule.For("WebSearch", null, RiskLevels.Medium, "searches the web"),
    ];

    public RiskAssessment Assess(string tool, JsonElement input, string sessionDirectory)
    {
        if (PathOutside(input, sessionDirectory) is { } outside)
        {
            return new RiskAssessment(RiskLevels.High, $"touches {outside}, outside the session directory");
        }
        var subject = tool == "Bash" && input.ValueKind == JsonValueKind.Object && input.TryGetProperty("command", out var command)
                      && command.ValueKind == JsonValueKind.String
            ? command.GetString()!
            : input.GetRawText();
        foreach (var rule in options.Value.Rules.Concat(BuiltInRules))
        {
            if (rule.Matches(tool, subject))
            {
                return new RiskAssessment(RiskLevels.Risks.Contains(rule.Risk) ? rule.Risk : RiskLevels.High, rule.Reason);
            }
        }
        // A tool no rule names: neither trusted nor known to be dangerous.
        return new RiskAssessment(RiskLevels.Medium, "a tool the rules do not rate");
    }

    /// <summary>
    /// The first path the input names that lies outside the session directory (relative paths are the agent's, taken
    /// from its working directory). In a bubblewrap sandbox /tmp is the session's own too.
    /// </summary>
    private string? PathOutside(JsonElement input, string sessionDirectory)
    {
        if (input.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        foreach (var field in PathFields)
        {
            if (!input.TryGetProperty(field, out var value) || value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 } path)
            {
                continue;
            }
            var full = Path.GetFullPath(path, sessionDirectory);
            if (!IsUnder(full, sessionDirectory) && !(sandbox.IsBubblewrap && IsUnder(full, "/tmp")))
            {
                return full;
            }
        }
        return null;
    }

    private static bool IsUnder(string path, string root)
    {
        var trimmed = Path.TrimEndingDirectorySeparator(root);
        return path == trimmed || path.StartsWith(trimmed + "/", StringComparison.Ordinal);
    }
}
