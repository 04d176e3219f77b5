using System.Diagnostics;
using AgentFleet.ZaiProxy.Auth;

namespace AgentFleet.ZaiProxy.Telemetry;

/// <summary>
/// An agent's model call, recorded in its session's trace. The agent CLIs do not pass trace headers on, so the request
/// arrives as a trace of its own; the session key carries the session run's context, and this span, its child, links
/// back to the request's own span.
/// </summary>
public static class SessionTrace
{
    public static readonly ActivitySource Source = new("AgentFleet.ZaiProxy");

    public static Activity? StartModelCall(Caller caller, string path)
    {
        if (caller.SessionTrace is not { } session)
        {
            return null;
        }
        var links = Activity.Current is { } request ? new[] { new ActivityLink(request.Context) } : null;
        var span = Source.StartActivity($"model call {path}", ActivityKind.Internal, session, links: links);
        span?.SetTag("fleet.session.id", caller.SessionId?.ToString());
        return span;
    }
}
