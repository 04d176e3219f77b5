using Grpc.Core;
using AgentFleet.ManagementApi.Model;
using AgentFleet.ManagementApi.Services;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.ServiceDefaults.Streams;
using AgentFleet.SessionRunner.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace AgentFleet.ManagementApi.Apis;

public static class SessionsApi
{
    public static readonly string[] Agents = ["claude", "command", "gemini", "codex"];
    public const int MaxTaskLength = 100_000;
    public const int MaxTimeoutSeconds = 24 * 3600;
    public const int MaxCommandArguments = 1024;
    public const int MaxCommandArgumentLength = 32 * 1024;
    public const int MaxCommandLength = 256 * 1024;
    public static readonly string[] ApprovalPolicies = ["none", "low", "medium", "high"];
    public static readonly string[] Statuses = ["queued", "running", "waiting_approval", "paused", "completed", "failed", "stopped", "interrupted"];

    /// <summary>A session in one of these has an agent (or will): it counts against its owner and may act.</summary>
    public static readonly string[] ActiveStatuses = Statuses[..4];

    /// <summary>A session in one of these has ended its run.</summary>
    public static readonly string[] EndedStatuses = Statuses[4..];

    public static IEndpointRouteBuilder MapSessionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/sessions").WithTags("Sessions").ProducesProblems(ProblemResponses.Common);
        api.MapPost("/", CreateSession).WithName("CreateSession").WithSummary("Spawn an agent session")
            .ProducesProblems(StatusCodes.Status409Conflict, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests);
        api.MapGet("/", ListSessions).WithName("ListSessions").WithSummary("List sessions, newest first");
        api.MapGet("/{id}", GetSession).WithName("GetSession").WithSummary("A session's status, times, usage and log tail");
        api.MapGet("/{id}/messages", GetMessages).WithName("GetSessionMessages").WithSummary("A session's events after a sequence");
        api.MapGet("/{id}/events", StreamEvents).WithName("StreamSessionEvents").WithSummary("Server-Sent Events: history, then live");
        api.MapGet("/{id}/ws", StreamWebSocket).WithName("SessionWebSocket").WithSummary("WebSocket: history, then live");
        api.MapGet("/{id}/log", GetLog).WithName("GetSessionLog").WithSummary("The agent's raw output; follow=true streams it");
        api.MapPost("/{id}/pause", PauseSession).WithName("PauseSession").WithSummary("Pause a running session").ProducesProblems(StatusCodes.Status409Conflict);
        api.MapPost("/{id}/resume", ResumeSession).WithName("ResumeSession").WithSummary("Resume a paused session, or continue an ended claude session")
            .ProducesProblems(StatusCodes.Status409Conflict);
        api.MapDelete("/{id}", StopSession).WithName("StopSession").WithSummary("Stop a session");
        return app;
    }

    public static async Task<Accepted<SessionCreated>> CreateSession(CreateSessionRequest request, [AsParameters] SessionServices services, CancellationToken cancellationToken)
    {
        services.Caller.Require(CallerRole.Operator);
        var template = request.TemplateId is { } templateId ? await services.Templates.FindAsync(templateId, cancellationToken) : null;
        request = FromTemplate(request, template);
        Validate(request);
        var policy = ApprovalPolicyFor(request, template, services.Caller);
        var (keyBudget, keyPeriod) = await CheckKeyBudgetAsync(services, cancellationToken);
        var depth = CheckDepth(services);
        var id = Guid.NewGuid();
        var start = new StartSessionRequest
        {
            SessionId = id.ToString(),
            Agent = request.Agent,
            Task = request.Task,
            Provider = request.Provider ?? "",
            Model = request.Model ?? "",
            TimeoutSeconds = request.TimeoutSeconds ?? 0,
            BudgetUsd = (double)(request.BudgetUsd ?? 0),
            ApprovalPolicy = policy ?? "",
            KeyBudgetUsd = (double)(keyBudget ?? 0),
            KeyBudgetPeriod = keyPeriod,
            CallerRole = CallerIdentity.RoleName(services.Caller.Role),
            Owner = services.Caller.Owner,
            CreatedByKey = services.Caller.KeyId,
            // The runner counts the owner's active sessions and records this one under one lock.
            MaxActiveForOwner = services.Caller.IsAdmin ? 0 : services.Limits.Value.MaxActiveSessionsPerOwner,
            ParentSessionId = services.Caller.Agent?.SessionId.ToString() ?? "",
            Depth = depth,
            McpServersJson = request.McpServers?.GetRawText() ?? "",
        };
        start.Command.AddRange(request.Command ?? []);
        // A child runs beside its parent: the parent's history records it, and the tree's budget is counted there.
        var parentRunner = services.Caller.Agent is { } agent ? (await services.Sessions.FindAsync(agent.SessionId, null, cancellationToken))?.RunnerId : null;
        var info = await RunnerStart.StartAsync(start, services, parentRunner);
        if (template is not null)
        {
            await services.Templates.CountUseAsync(template.Id, CancellationToken.None);
        }
        var links = SessionLinksFor.Session(id);
        return TypedResults.Accepted(links.Self, new SessionCreated(id, info.Status, info.SessionDir, links));
    }

    public static async Task<Ok<SessionPage>> ListSessions([AsParameters] SessionServices services, string? status, int? limit, int? offset, CancellationToken cancellationToken)
    {
        var size = limit ?? 50;
        if (size is < 1 or > 500 || offset is < 0)
        {
            throw Invalid("limit must be 1 to 500 and offset 0 or more.");
        }
        if (status is not null && !Statuses.Contains(status))
        {
            throw Invalid($"status must be one of {string.Join(", ", Statuses)}; '{Bounded.Echo(status)}' is not.");
        }
        // An agent lists the sessions it started, nothing else of its owner's.
        return TypedResults.Ok(await services.Sessions.ListAsync(status, services.OwnerFilter, size, offset ?? 0, cancellationToken, services.Caller.Agent?.SessionId));
    }

    public static async Task<Ok<SessionView>> GetSession(string id, [AsParameters] SessionServices services, CancellationToken cancellationToken)
    {
        var view = await FindAsync(id, services, cancellationToken);
        try
        {
            var runner = await services.Runners.ForRunnerAsync(view.RunnerId, cancellationToken);
            var info = await runner.GetSessionAsync(new SessionRef { SessionId = view.SessionId.ToString() },
                new CallOptions(deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken));
            return TypedResults.Ok(view with { LogTail = [.. info.LogTail], Sandbox = info.Sandbox is { } sandbox ? SandboxView.From(sandbox) : null });
        }
        catch (Exception e) when (e is RpcException or ProblemException { Status: StatusCodes.Status503ServiceUnavailable })
        {
            // The log and the sandbox live with the runner; without them the rest of the answer still stands.
            return TypedResults.Ok(view);
        }
    }

    public static async Task<Ok<EventPage>> GetMessages(string id, [AsParameters] SessionServices services, long? since, int? limit, bool? raw, CancellationToken cancellationToken)
    {
        var view = await FindAsync(id, services, cancellationToken);
        var size = limit ?? 500;
        if (size is < 1 or > 5000 || since is < 0)
        {
            throw Invalid("limit must be 1 to 5000 and since 0 or more.");
        }
        var after = Math.Min(since ?? 0, long.MaxValue - 1);
        var events = await services.Sessions.ReadEventsAsync(view.SessionId, after + 1, size, cancellationToken);
        return TypedResults.Ok(new EventPage([.. events.Select(e => EventView.From(e, raw ?? false))], events.Count > 0 ? events[^1].Sequence : since ?? 0));
    }

    public static async Task StreamEvents(string id, HttpContext context, [AsParameters] SessionServices services, long? since, CancellationToken cancellationToken)
    {
        var after = StreamPosition.After(context.Request, since);
        var view = await FindAsync(id, services, cancellationToken);
        await services.Streams.WriteSseAsync(context.Response, view.SessionId, after, cancellationToken);
    }

    public static async Task StreamWebSocket(string id, HttpContext context, [AsParameters] SessionServices services, long? since, CancellationToken cancellationToken)
    {
        var after = StreamPosition.After(context.Request, since);
        var view = await FindAsync(id, services, cancellationToken);
        if (!context.WebSockets.IsWebSocketRequest)
        {
            throw Invalid("This endpoint speaks WebSocket; connect with a WebSocket client.");
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        await services.Streams.WriteWebSocketAsync(socket, view.SessionId, after, cancellationToken);
    }

    public static async Task GetLog(string id, HttpContext context, [AsParameters] SessionServices services, bool? follow, long? offset, CancellationToken cancellationToken)
    {
        var view = await FindAsync(id, services, cancellationToken);
        var runner = await services.Runners.ForRunnerAsync(view.RunnerId, cancellationToken);
        using var call = runner.ReadLog(new ReadLogRequest { SessionId = view.SessionId.ToString(), Follow = follow ?? false, Offset = offset ?? 0 },
            new CallOptions(cancellationToken: cancellationToken));
        var started = false;
        try
        {
            while (await call.ResponseStream.MoveNext(cancellationToken))
            {
                if (!started)
                {
                    context.Response.ContentType = "text/plain; charset=utf-8";
                    started = true;
                }
                await context.Response.Body.WriteAsync(call.ResponseStream.Current.Data.Memory, cancellationToken);
                await context.Response.Body.FlushAsync(cancellationToken);
            }
        }
        catch (RpcException e) when (!started)
        {
            throw RunnerErrors.ToProblem(e);
        }
        if (!started)
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
        }
    }

    public static Task<Ok<SessionView>> PauseSession(string id, [AsParameters] SessionServices services, CancellationToken cancellationToken) =>
        ControlAsync(id, services, (runner, sessionId, options) => runner.PauseSessionAsync(new SessionRef { SessionId = sessionId }, options).ResponseAsync, cancellationToken);

    public static Task<Ok<SessionView>> ResumeSession(string id, [AsParameters] SessionServices services, [FromBody] ResumeRequest? body, CancellationToken cancellationToken) =>
        ControlAsync(id, services, (runner, sessionId, options) => runner.ResumeSessionAsync(new ResumeSessionRequest { SessionId = sessionId, Task = body?.Task ?? "" }, options).ResponseAsync, cancellationToken);

    public static Task<Ok<SessionView>> StopSession(string id, [AsParameters] SessionServices services, CancellationToken cancellationToken) =>
        ControlAsync(id, services, (runner, sessionId, options) => runner.StopSessionAsync(new SessionRef { SessionId = sessionId }, options).ResponseAsync, cancellationToken);

    private static async Task<Ok<SessionView>> ControlAsync(string id, SessionServices services,
        Func<SessionRunnerGrpc.SessionRunnerClient, string, CallOptions, Task<SessionInfo>> call, CancellationToken cancellationToken)
    {
        services.Caller.Require(CallerRole.Operator);
        var view = await FindAsync(id, services, cancellationToken);
        var runner = await services.Runners.ForRunnerAsync(view.RunnerId, cancellationToken);
        var info = await RunnerErrors.CallAsync(() => call(runner, view.SessionId.ToString(),
            new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken)));
        return TypedResults.Ok(view with { Status = info.Status });
    }

    private static async Task<SessionView> FindAsync(string id, SessionServices services, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var sessionId))
        {
            throw Invalid($"'{Bounded.Echo(id)}' is not a session id (a UUID).");
        }
        // Someone else's session is as absent as one that never was: its existence is not theirs to learn.
        var view = await services.Sessions.FindAsync(sessionId, services.OwnerFilter, cancellationToken);
        if (view is not null && services.Caller.Agent is { } agent && !await IsOwnOrDescendantAsync(view, agent.SessionId, services, cancellationToken))
        {
            view = null;
        }
        return view ?? throw new ProblemException(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "No such session.", $"Session {sessionId} does not exist.");
    }

    /// <summary>An agent reaches its own session and those below it, by walking up from <paramref name="view"/> (a bounded climb).</summary>
    private static async Task<bool> IsOwnOrDescendantAsync(SessionView view, Guid agentSession, SessionServices services, CancellationToken cancellationToken)
    {
        for (var current = view; current is not null; )
        {
            if (current.SessionId == agentSession)
            {
                return true;
            }
            if (current.ParentSessionId is not { } parent || current.Depth <= 1)
            {
                return false;
            }
            current = await services.Sessions.FindAsync(parent, services.OwnerFilter, cancellationToken);
        }
        return false;
    }

    /// <summary>The new session's depth: a person's starts at 1; an agent's is one below the agent's, up to <c>Mcp:MaxDepth</c>.</summary>
    private static int CheckDepth(SessionServices services)
    {
        if (services.Caller.Agent is not { } agent)
        {
            return 1;
        }
        var depth = agent.Depth + 1;
        var max = services.Mcp.Value.MaxDepth;
        if (depth > max)
        {
            throw new ProblemException(StatusCodes.Status403Forbidden, ProblemCodes.DepthExceeded, "Sessions may not nest this deep.",
                $"Session {agent.SessionId} is at depth {agent.Depth}; a child would be at {depth}, and Mcp:MaxDepth is {max}.",
                "Do the work in this session instead of starting another.");
        }
        return depth;
    }

    /// <summary>
    /// The request with its template applied: the prompt rendered from the variables (every violation reported with its
    /// JSON path), and the template's defaults where the request says nothing.
    /// </summary>
    private static CreateSessionRequest FromTemplate(CreateSessionRequest request, TemplateView? template)
    {
        if (request.TemplateId is null)
        {
            return request.Variables is null ? request : throw Invalid("variables fill a template's placeholders: give a templateId with them.");
        }
        if (template is null)
        {
            throw new ProblemException(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, "The request is not valid.",
                $"Template {request.TemplateId} does not exist.", "GET /v1/templates lists them.") { Errors = [new("$.templateId", "names no template.")] };
        }
        if (request.Task is not null)
        {
            throw Invalid("Give a task or a templateId, not both: a template's task is its prompt filled with variables.");
        }
        var errors = new List<ProblemError>();
        var task = TemplatePrompt.Render(template.Prompt, template.VariablesSchema, request.Variables, errors);
        if (errors.Count > 0)
        {
            throw new ProblemException(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, "The variables do not fit the template.",
                string.Join(" ", errors.Select(e => $"{e.Path} {e.Message}")), $"GET /v1/templates/{template.Id} shows its variablesSchema.") { Errors = errors };
        }
        return request with
        {
            Agent = request.Agent ?? template.Agent,
            Task = task,
            Model = request.Model ?? template.Model,
            TimeoutSeconds = request.TimeoutSeconds ?? template.TimeoutSeconds,
            BudgetUsd = request.BudgetUsd ?? template.BudgetUsd,
        };
    }

    /// <summary>
    /// The session's approval policy. A request may tighten what its template says; loosening past the default (low)
    /// is an admin's: in an admin's request, or in a template (only admins save such templates).
    /// </summary>
    private static string? ApprovalPolicyFor(CreateSessionRequest request, TemplateView? template, CallerIdentity caller)
    {
        var asked = request.ApprovalPolicy;
        if (asked is not null && ApprovalPolicyRank(asked) > ApprovalPolicyRank("low") && !caller.IsAdmin)
        {
            throw new ProblemException(StatusCodes.Status403Forbidden, ProblemCodes.PolicyNotAllowed, "Only an admin may loosen the approval policy.",
                $"approvalPolicy {asked} lets {asked}-risk tool uses run without a person; the default lets low ones pass.", "Ask for none or low, or have an admin start it.");
        }
        if (template?.ApprovalPolicy is not { } fromTemplate || caller.IsAdmin && asked is not null)
        {
            return asked ?? template?.ApprovalPolicy;
        }
        return asked is not null && ApprovalPolicyRank(asked) < ApprovalPolicyRank(fromTemplate) ? asked : fromTemplate;
    }

    /// <summary>A key that has spent its budget for the period starts nothing more (402); its budget rides on the session's key.</summary>
    private static async Task<(decimal? Budget, string Period)> CheckKeyBudgetAsync(SessionServices services, CancellationToken cancellationToken)
    {
        var (budget, period) = await services.Keys.BudgetOfAsync(services.Caller.KeyId, cancellationToken);
        if (budget is not { } cap)
        {
            return (null, period);
        }
        decimal spent;
        try
        {
            spent = await services.Budgets.SpentAsync(services.Caller.KeyId, period, cancellationToken);
        }
        catch (RpcException e)
        {
            // A budget that cannot be checked is not a budget waived.
            throw new ProblemException(StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable, "This key's budget cannot be checked now.", e.Status.Detail,
                "Retry shortly; GET /v1/status shows each service's health.");
        }
        if (spent >= cap)
        {
            var span = period == "total" ? "in all" : "this month";
            throw new ProblemException(StatusCodes.Status402PaymentRequired, ProblemCodes.BudgetExceeded, "This key's budget is spent.",
                $"Key {services.Caller.KeyId} may spend ${cap:0.######} {span} and has spent ${spent:0.######}.", "An admin can give the work to a key with budget left.");
        }
        return (cap, period);
    }

    public static int ApprovalPolicyRank(string policy) => Array.IndexOf(ApprovalPolicies, policy);

    private static void Validate(CreateSessionRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Agent) || !Agents.Contains(request.Agent))
        {
            throw Invalid($"agent must be one of {string.Join(", ", Agents)}.", "Use \"command\" with a \"command\" array to run any program (admins, unless SessionRunner:Command:AllowedRoles says more).");
        }
        if (string.IsNullOrWhiteSpace(request.Task))
        {
            throw Invalid("task is required: say what the agent should do.");
        }
        if (request.Task.Length > MaxTaskLength)
        {
            throw Invalid($"task is {request.Task.Length} characters; the limit is {MaxTaskLength}.");
        }
        if (request.TimeoutSeconds is { } timeout && (timeout < 1 || timeout > MaxTimeoutSeconds))
        {
            throw Invalid($"timeoutSeconds must be between 1 and {MaxTimeoutSeconds}.");
        }
        if (request.ApprovalPolicy is { } policy && !ApprovalPolicies.Contains(policy))
        {
            throw Invalid($"approvalPolicy must be one of {string.Join(", ", ApprovalPolicies)}: the highest risk of tool use decided without a person.");
        }
        if (request.BudgetUsd is < 0)
        {
            throw Invalid("budgetUsd cannot be negative.");
        }
        if (request.Agent == "command" && (request.Command is not { Length: > 0 } || string.IsNullOrWhiteSpace(request.Command[0])))
        {
            throw Invalid("A command session needs a non-empty \"command\" array: the program, then its arguments.");
        }
        foreach (var (field, value) in new[] { ("task", request.Task), ("model", request.Model), ("provider", request.Provider) })
        {
            if (value?.Contains('\0') == true)
            {
                throw Invalid($"{field} contains a NUL character (\\u0000); remove it.");
            }
        }
        ValidateCommand(request.Command ?? []);
        if (request.McpServers is { } servers && servers.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            throw Invalid("mcpServers must be an object: {\"name\": {\"command\": ..., \"args\": [...]} or {\"type\": \"http\", \"url\": ...}}.");
        }
    }

    /// <summary>A bounded argument vector: a huge one would only fail further in, with its text in the error.</summary>
    private static void ValidateCommand(string?[] command)
    {
        if (command.Length > MaxCommandArguments)
        {
            throw Invalid($"command has {command.Length} elements; the limit is {MaxCommandArguments}.");
        }
        long total = 0;
        for (var i = 0; i < command.Length; i++)
        {
            var argument = command[i] ?? throw Invalid($"command[{i}] is null; every element must be a string.");
            if (argument.Contains('\0'))
            {
                throw Invalid($"command[{i}] contains a NUL character (\\u0000), which would cut the argument short; remove it.");
            }
            if (argument.Length > MaxCommandArgumentLength)
            {
                throw Invalid($"command[{i}] is {argument.Length} characters; the limit is {MaxCommandArgumentLength}.");
            }
            total += argument.Length;
        }
        if (total > MaxCommandLength)
        {
            throw Invalid($"command is {total} characters in all; the limit is {MaxCommandLength}.");
        }
    }

    private static ProblemException Invalid(string detail, string? suggestion = null) =>
        new(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, "The request is not valid.", detail, suggestion);
}

public sealed record ResumeRequest(string? Task);
