using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentFleet.ManagementApi.Model;
using AgentFleet.ServiceDefaults.Problems;
using ModelContextProtocol.Protocol;

namespace AgentFleet.ManagementApi.Mcp;

/// <summary>
/// How the tools answer: the REST answer's JSON as structured content, and a short text that says what matters (an agent
/// whose client shows it only the text still learns the ids it needs). A refusal is a tool error naming what to fix,
/// with the same ProblemDetails fields REST gives (code, status, detail, suggestion, errors).
/// </summary>
public static class ToolResults
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static CallToolResult Of<T>(T value, string text) => new()
    {
        Content = [new TextContentBlock { Text = text }],
        StructuredContent = JsonSerializer.SerializeToElement(value, Json),
    };

    public static CallToolResult Error(ProblemException problem)
    {
        var text = new StringBuilder(problem.Title);
        if (problem.Detail is { } detail)
        {
            text.Append(' ').Append(detail);
        }
        foreach (var error in problem.Errors ?? [])
        {
            text.Append(' ').Append(error.Path).Append(' ').Append(error.Message);
        }
        if (problem.Suggestion is { } suggestion)
        {
            text.Append(" (").Append(suggestion).Append(')');
        }
        var structured = new JsonObject
        {
            ["code"] = problem.Code,
            ["status"] = problem.Status,
            ["title"] = problem.Title,
            ["detail"] = problem.Detail,
            ["suggestion"] = problem.Suggestion,
        };
        if (problem.Errors is { Count: > 0 } errors)
        {
            structured["errors"] = JsonSerializer.SerializeToNode(errors, Json);
        }
        return new CallToolResult
        {
            IsError = true,
            Content = [new TextContentBlock { Text = text.ToString() }],
            StructuredContent = JsonSerializer.SerializeToElement(structured, Json),
        };
    }

    public static ProblemException Invalid(string detail) =>
        new(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, "The arguments are not valid.", detail);

    /// <summary>One line per session: what a reader scans for.</summary>
    public static string Line(SessionView s) =>
        $"{s.SessionId} {s.Status} {s.Agent}" + (s.TotalCostUsd is { } cost ? $" ${cost:0.####}" : "") + $" \"{Shorten(s.Task, 60)}\"";

    /// <summary>A transcript page as text, newest last, bounded so one answer cannot flood a model's context.</summary>
    public static string Transcript(IEnumerable<EventView> events, int maxChars = 8000)
    {
        var text = new StringBuilder();
        foreach (var e in events)
        {
            var line = $"#{e.Sequence} {e.Type}: {Shorten(e.Content, 400)}\n";
            if (text.Length + line.Length > maxChars)
            {
                text.Append("... (more: read on with since)\n");
                break;
            }
            text.Append(line);
        }
        return text.ToString();
    }

    public static string Shorten(string text, int max)
    {
        var flat = text.ReplaceLineEndings(" ");
        return flat.Length <= max ? flat : string.Concat(flat.AsSpan(0, max), "…");
    }
}
