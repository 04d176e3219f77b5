using System.Text.Json;
using AgentFleet.ManagementApi.Model;
using AgentFleet.ManagementApi.Services;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.SessionRunner.Contracts;
using Grpc.Core;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace AgentFleet.ManagementApi.Apis;

/// <summary>
/// The approval queue: tool uses of claude sessions that wait for a person. Owners see and decide their own sessions'
/// (another owner's is 404), admins all; viewers may look, not decide. The runner holds the waiting agents, so a
/// decision goes to it and reaches the agent at once.
/// </summary>
public static class ApprovalsApi
{
    public static readonly string[] Statuses = ["pending", "approved", "rejected", "expired"];
    public const int MaxMessageLength = 4000;

    public static IEndpointRouteBuilder MapApprovalsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/approvals").WithTags("Approvals").ProducesProblems(ProblemResponses.Common);
        api.MapGet("/", ListApprovals).WithName("ListApprovals").WithSummary("Tool uses waiting for a person (status=pending), oldest first");
        api.MapGet("/{id}", GetApproval).WithName("GetApproval").WithSummary("One approval");
        api.MapPost("/{id}/approve", Approve).WithName("ApproveToolUse").WithSummary("Let the tool use run, optionally with an edited input")
            .ProducesProblems(StatusCodes.Status409Conflict);
        api.MapPost("/{id}/reject", Reject).WithName("RejectToolUse").WithSummary("Refuse the tool use; the agent is told the message")
            .ProducesProblems(StatusCodes.Status409Conflict);
        return app;
    }

    public static async Task<Ok<ApprovalPage>> ListApprovals(CallerIdentity caller, RunnerDirectory runners,
        string? status, string? sessionId, int? limit, CancellationToken cancellationToken)
    {
        if (status is not null && !Statuses.Contains(status))
        {
            throw Invalid($"status must be one of {string.Join(", ", Statuses)}.");
        }
        if (sessionId is not null && !Guid.TryParse(sessionId, out _))
        {
            throw Invalid($"'{Bounded.Echo(sessionId)}' is not a session id (a UUID).");
        }
        var size = limit ?? 100;
        if (size is < 1 or > 1000)
        {
            throw Invalid("limit must be 1 to 1000.");
        }
        var list = await RunnerErrors.CallAsync(() => runners.ReadAsync(runner => runner.ListApprovalsAsync(new ListApprovalsRequest
        {
            Owner = OwnerFilter(caller) ?? "",
            Status = status ?? "",
            SessionId = sessionId ?? "",
            Limit = size,
        }, Deadline(cancellationToken)).ResponseAsync));
        return TypedResults.Ok(new ApprovalPage([.. list.Approvals.Select(ApprovalView.From)]));
    }

    public static async Task<Ok<ApprovalView>> GetApproval(string id, CallerIdentity caller, RunnerDirectory runners, CancellationToken cancellationToken)
    {
        var approvalId = ParseId(id);
        var list = await RunnerErrors.CallAsync(() => runners.ReadAsync(runner => runner.ListApprovalsAsync(new ListApprovalsRequest
        {
            Owner = OwnerFilter(caller) ?? "",
            ApprovalId = approvalId.ToString(),
            Limit = 1,
        }, Deadline(cancellationToken)).ResponseAsync));
        return list.Approvals.Count == 1 ? TypedResults.Ok(ApprovalView.From(list.Approvals[0])) : throw NotFound(approvalId);
    }

    public static Task<Ok<ApprovalView>> Approve(string id, CallerIdentity caller, RunnerDirectory runners,
        [FromBody] ApproveRequest? body, CancellationToken cancellationToken)
    {
        string updated = "";
        if (body?.UpdatedInput is { } input)
        {
            updated = input.ValueKind == JsonValueKind.Object ? input.GetRawText() : throw Invalid("updatedInput must be a JSON object: the tool's input to run instead.");
        }
        return DecideAsync(id, caller, runners, new DecideApprovalRequest { Approve = true, UpdatedInputJson = updated }, cancellationToken);
    }

    public static Task<Ok<ApprovalView>> Reject(string id, CallerIdentity caller, RunnerDirectory runners,
        [FromBody] RejectRequest? body, CancellationToken cancellationToken)
    {
        var message = body?.Message?.Trim() ?? "";
        if (message.Length > MaxMessageLength || message.Contains('\0'))
        {
            throw Invalid($"message must be at most {MaxMessageLength} characters, without NUL.");
        }
        return DecideAsync(id, caller, runners, new DecideApprovalRequest { Approve = false, Message = message }, cancellationToken);
    }

    private static async Task<Ok<ApprovalView>> DecideAsync(string id, CallerIdentity caller, RunnerDirectory runners,
        DecideApprovalRequest request, CancellationToken cancellationToken)
    {
        caller.Require(CallerRole.Operator);
        var approvalId = ParseId(id);
        request.ApprovalId = approvalId.ToString();
        request.Owner = OwnerFilter(caller) ?? "";
        request.DecidedBy = caller.KeyId;
        // The agent waits on the runner that holds its session: the decision is sent there.
        var approval = (await GetApproval(id, caller, runners, cancellationToken)).Value!;
        var session = await RunnerErrors.CallAsync(() => runners.ReadAsync(runner => runner.FindSessionAsync(new SessionRef { SessionId = approval.SessionId.ToString() },
            Deadline(cancellationToken)).ResponseAsync));
        var runner = await runners.ForRunnerAsync(session.RunnerId, cancellationToken);
        try
        {
            var decided = await runner.DecideApprovalAsync(request, Deadline(cancellationToken));
            return TypedResults.Ok(ApprovalView.From(decided));
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            throw NotFound(approvalId);
        }
        catch (RpcException e) when (e.Trailers.GetValue(ProblemCodes.GrpcTrailer) == ProblemCodes.ApprovalDecided)
        {
            throw new ProblemException(StatusCodes.Status409Conflict, ProblemCodes.ApprovalDecided, "This approval is already decided.", e.Status.Detail,
                $"GET /v1/approvals/{approvalId} shows the decision.");
        }
        catch (RpcException e)
        {
            throw RunnerErrors.ToProblem(e);
        }
    }

    private static string? OwnerFilter(CallerIdentity caller) => caller.IsAdmin ? null : caller.Owner;

    private static CallOptions Deadline(CancellationToken cancellationToken) => new(deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken);

    private static Guid ParseId(string id) => Guid.TryParse(id, out var approvalId) ? approvalId : throw Invalid($"'{Bounded.Echo(id)}' is not an approval id (a UUID).");

    // Someone else's approval is as absent as one that never was.
    private static ProblemException NotFound(Guid id) =>
        new(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "No such approval.", $"Approval {id} does not exist.");

    private static ProblemException Invalid(string detail) =>
        new(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, "The request is not valid.", detail);
}
