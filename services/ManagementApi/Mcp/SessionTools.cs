using System.ComponentModel;
using System.Text.Json;
using AgentFleet.ManagementApi.Apis;
using AgentFleet.ManagementApi.Model;
using AgentFleet.ManagementApi.Services;
using AgentFleet.ServiceDefaults.Security;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace AgentFleet.ManagementApi.Mcp;

/// <summary>The session tools: each calls the REST handler of the same name, as the same caller, with the same checks.</summary>
[McpServerToolType]
public sealed class SessionTools(McpSessionServices services, SessionStreamer streamer)
{
    public const int MaxWaitSeconds = 3600;

    [McpServerTool(Name = "create_session", Title = "Start an agent session", Destructive = false, OpenWorld = true)]
    [Description("Start an agent (claude, command, gemini or codex) on a task, or a template filled with variables. Answers with the session id; wait_for_session waits for it to end.")]
    public async Task<CallToolResult> CreateSession(
        RequestContext<CallToolRequestParams> request,
        [Description("claude, command, gemini or codex; a template's agent when omitted")] string? agent = null,
        [Description("What the agent should do (or give templateId and variables)")] string? task = null,
        [Description("For agent command: the program and its arguments")] string[]? command = null,
        [Description("A template's id: its prompt filled with variables becomes the task")] Guid? templateId = null,
        [Description("The template's variables, as its variablesSchema describes")] JsonElement? variables = null,
        [Description("The model to ask for")] string? model = null,
        [Description("Seconds before the session is stopped")] int? timeoutSeconds = null,
        [Description("The most the session may spend on the model, in US dollars")] decimal? budgetUsd = null,
        [Description("The highest risk of tool use decided without a person: none, low (default), medium, high")] string? approvalPolicy = null,
        [Description("claude only: the session's own MCP servers, {\"name\": {\"command\": ..., \"args\": [...]} | {\"type\": \"http\", \"url\": ...}}")] JsonElement? mcpServers = null,
        CancellationToken cancellationToken = default)
    {
        var created = (await SessionsApi.CreateSession(
            new CreateSessionRequest(agent, task, command, null, model, timeoutSeconds, budgetUsd, approvalPolicy, templateId, variables, mcpServers),
            For(request), cancellationToken)).Value!;
        return ToolResults.Of(created,
            $"Session {created.SessionId} is {created.Status}. wait_for_session waits for it to end; fleet://sessions/{created.SessionId}/messages is its transcript.");
    }

    [McpServerTool(Name = "list_sessions", Title = "List sessions", ReadOnly = true)]
    [Description("Sessions, newest first: yours (an agent: the ones it started), or everyone's for an admin.")]
    public async Task<CallToolResult> ListSessions(
        RequestContext<CallToolRequestParams> request,
        [Description("Only sessions in this status: queued, running, waiting_approval, paused, completed, failed, stopped, interrupted")] string? status = null,
        [Description("At most this many (1 to 500, default 50)")] int? limit = null,
        [Description("Skip this many")] int? offset = null,
        CancellationToken cancellationToken = default)
    {
        var page = (await SessionsApi.ListSessions(For(request), status, limit, offset, cancellationToken)).Value!;
        var lines = string.Join('\n', page.Items.Select(ToolResults.Line));
        return ToolResults.Of(page, $"{page.Items.Count} of {page.Total} sessions.\n{lines}".TrimEnd());
    }

    [McpServerTool(Name = "get_session", Title = "A session's state", ReadOnly = true)]
    [Description("A session's status, times, cost, tokens and the tail of its log.")]
    public async Task<CallToolResult> GetSession(
        RequestContext<CallToolRequestParams> request,
        [Description("The session's id")] string sessionId,
        CancellationToken cancellationToken = default)
    {
        var view = (await SessionsApi.GetSession(sessionId, For(request), cancellationToken)).Value!;
        return ToolResults.Of(view, ToolResults.Line(view));
    }

    [McpServerTool(Name = "get_session_messages", Title = "A session's transcript", ReadOnly = true)]
    [Description("A session's events (text, tool calls and results, usage, status) after a sequence number, in order.")]
    public async Task<CallToolResult> GetSessionMessages(
        RequestContext<CallToolRequestParams> request,
        [Description("The session's id")] string sessionId,
        [Description("Only events after this sequence number (default 0: from the start)")] long? since = null,
        [Description("At most this many (1 to 5000, default 500)")] int? limit = null,
        CancellationToken cancellationToken = default)
    {
        var page = (await SessionsApi.GetMessages(sessionId, For(request), since, limit, false, cancellationToken)).Value!;
        return ToolResults.Of(page, $"{page.Events.Count} events; next since={page.NextSince}.\n{ToolResults.Transcript(page.Events)}".TrimEnd());
    }

    [McpServerTool(Name = "wait_for_session", Title = "Wait for a session to end", ReadOnly = true)]
    [Description("Blocks until the session's run ends or the timeout passes, reporting each event as progress. Answers with the session's state and whether it timed out.")]
    public async Task<CallToolResult> WaitForSession(
        RequestContext<CallToolRequestParams> request,
        IProgress<ProgressNotificationValue> progress,
        [Description("The session's id")] string sessionId,
        [Description("The longest wait in seconds (1 to 3600, default 300)")] int? timeoutSeconds = null,
        CancellationToken cancellationToken = default)
    {
        var seconds = timeoutSeconds ?? 300;
        if (seconds is < 1 or > MaxWaitSeconds)
        {
            throw ToolResults.Invalid($"timeoutSeconds must be 1 to {MaxWaitSeconds}.");
        }
        var session = For(request);
        var view = (await SessionsApi.GetSession(sessionId, session, cancellationToken)).Value!;
        var timedOut = false;
        if (!SessionsApi.EndedStatuses.Contains(view.Status))
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
            try
            {
                await streamer.StreamAsync(view.SessionId, view.LastSequence, new ProgressSink(progress), deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                timedOut = true;
            }
            view = (await SessionsApi.GetSession(sessionId, session, cancellationToken)).Value!;
        }
        var answer = new WaitResult(view, timedOut && !SessionsApi.EndedStatuses.Contains(view.Status));
        return ToolResults.Of(answer, answer.TimedOut ? $"Still {view.Status} after {seconds} s. {ToolResults.Line(view)}" : $"Ended: {ToolResults.Line(view)}");
    }

    [McpServerTool(Name = "stop_session", Title = "Stop a session", Destructive = true, Idempotent = true)]
    [Description("Stops a session's agent (SIGTERM, then SIGKILL after a grace period).")]
    public async Task<CallToolResult> StopSession(RequestContext<CallToolRequestParams> request, [Description("The session's id")] string sessionId,
        CancellationToken cancellationToken = default) =>
        Control((await SessionsApi.StopSession(sessionId, For(request), cancellationToken)).Value!);

    [McpServerTool(Name = "pause_session", Title = "Pause a session", Idempotent = true)]
    [Description("Pauses a running session's agent (SIGSTOP); its timeout stops counting.")]
    public async Task<CallToolResult> PauseSession(RequestContext<CallToolRequestParams> request, [Description("The session's id")] string sessionId,
        CancellationToken cancellationToken = default) =>
        Control((await SessionsApi.PauseSession(sessionId, For(request), cancellationToken)).Value!);

    [McpServerTool(Name = "resume_session", Title = "Resume a session")]
    [Description("Resumes a paused session, or continues an ended claude session with a follow-up task.")]
    public async Task<CallToolResult> ResumeSession(RequestContext<CallToolRequestParams> request, [Description("The session's id")] string sessionId,
        [Description("A follow-up prompt for an ended claude session")] string? task = null, CancellationToken cancellationToken = default) =>
        Control((await SessionsApi.ResumeSession(sessionId, For(request), new ResumeRequest(task), cancellationToken)).Value!);

    private SessionServices For(RequestContext<CallToolRequestParams> request) => services.For(McpCaller.From(request.User));

    private static CallToolResult Control(SessionView view) => ToolResults.Of(view, $"Session {view.SessionId} is {view.Status}.");

    /// <summary>Each event the wait sees, as an MCP progress notification: its sequence, and what it says.</summary>
    private sealed class ProgressSink(IProgress<ProgressNotificationValue> progress) : ISessionStreamSink
    {
        public ValueTask WriteEventAsync(StreamedEvent streamedEvent)
        {
            var e = streamedEvent.Event;
            progress.Report(new ProgressNotificationValue { Progress = e.Sequence, Message = $"{e.Type}: {ToolResults.Shorten(e.Content, 200)}" });
            return ValueTask.CompletedTask;
        }

        public ValueTask WriteNoticeAsync(StreamNotice notice) => ValueTask.CompletedTask;

        public ValueTask FlushAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>wait_for_session's answer: the session as it stands, and whether the wait ran out first.</summary>
public sealed record WaitResult(SessionView Session, bool TimedOut);
