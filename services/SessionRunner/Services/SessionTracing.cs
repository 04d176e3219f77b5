using System.Diagnostics;

namespace AgentFleet.SessionRunner.Services;

/// <summary>
/// A span for each run of an agent, child of the request that created the session, so one trace reads gateway →
/// management-api → session-runner → zai-proxy: the session key carries this span's context to ZaiProxy.
/// </summary>
public static class SessionTracing
{
    public static readonly ActivitySource Source = new("AgentFleet.SessionRunner");

    public static Activity? StartRun(AgentSession session)
    {
        var run = Source.StartActivity("session run", ActivityKind.Internal, session.Origin ?? default);
        run?.SetTag("fleet.session.id", session.Id);
        run?.SetTag("fleet.session.agent", session.Meta.Agent);
        return run;
    }
}
