using System.Text.Json.Nodes;
using AgentFleet.SessionRunner.Contracts;

namespace AgentFleet.SessionRunner.Model;

/// <summary>Reading the session state that lifecycle events carry.</summary>
public static class SessionEvents
{
    /// <summary>The session status a lifecycle event announces (its <c>sessionStatus</c>), or null for any other event.</summary>
    public static string? StatusOf(SessionEvent sessionEvent)
    {
        // Most events are not lifecycle events: the substring test spares them a parse.
        if (!sessionEvent.MetadataJson.Contains("\"sessionStatus\"", StringComparison.Ordinal))
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(sessionEvent.MetadataJson)?["sessionStatus"]?.GetValue<string>();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>True for the event that ends a run (completed, failed, stopped, interrupted): a stream ends there.</summary>
    public static bool EndsRun(SessionEvent sessionEvent) => StatusOf(sessionEvent) is "completed" or "failed" or "stopped" or "interrupted";
}
