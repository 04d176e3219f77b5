using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.SessionRunner.Agents;
using AgentFleet.SessionRunner.Contracts;
using AgentFleet.SessionRunner.Infrastructure;
using AgentFleet.SessionRunner.Model;
using AgentFleet.SessionRunner.Services;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace AgentFleet.SessionRunner.Approvals;

/// <summary>
/// Where a session's tool uses wait for a person. A use its policy passes is allowed at once; any other is queued
/// (a row in <c>approvals</c>, an <c>approval_needed</c> event, the session <c>waiting_approval</c>) and waits for
/// <see cref="DecideAsync"/> or the timeout, whichever comes first. The answer goes back to the agent as soon as
/// there is one.
/// </summary>
public sealed partial class ApprovalGate(RiskAssessor assessor, ApprovalStore store, SessionRecords records, IOptions<ApprovalOptions> options, ILogger<ApprovalGate> logger)
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<Approval>> _waiting = new();

    public int TimeoutSeconds => options.Value.TimeoutSeconds;

    public async Task<PermissionAnswer> AskAsync(AgentSession session, string tool, JsonElement input, string? toolUseId, CancellationToken cancellationToken)
    {
        var assessment = assessor.Assess(tool, input, session.Directory);
        if (RiskLevels.PassesWithout(assessment.Risk, session.Meta.ApprovalPolicy ?? RiskLevels.DefaultPolicy))
        {
            return PermissionAnswer.Allow(input);
        }
        var owner = (await records.FindAsync(Guid.Parse(session.Id), cancellationToken))?.Owner ?? "admin";
        var approval = new Approval
        {
            Id = Guid.NewGuid().ToString(),
            SessionId = session.Id,
            Owner = owner,
            ToolName = tool,
            ToolUseId = toolUseId ?? "",
            InputJson = input.GetRawText(),
            Risk = assessment.Risk,
            Reason = assessment.Reason,
            Status = "pending",
            CreatedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        };
        var waiter = new TaskCompletionSource<Approval>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[approval.Id] = waiter;
        try
        {
            await store.InsertAsync(approval, cancellationToken);
            await NeededAsync(session, approval);
            LogQueued(logger, session.Id, tool, assessment.Risk, approval.Id);
            var timeout = Task.Delay(TimeSpan.FromSeconds(TimeoutSeconds), cancellationToken);
            if (await Task.WhenAny(waiter.Task, timeout) != waiter.Task)
            {
                var agentLeft = cancellationToken.IsCancellationRequested;
                var message = agentLeft
                    ? "The agent stopped waiting for this decision (it ended or was stopped)."
                    : $"No one decided within {TimeoutSeconds} s, so the tool use is denied. Try another way, or ask again later.";
                if (await store.DecideAsync(Guid.Parse(approval.Id), null, "expired", "runner", message, null, CancellationToken.None) is { } expired)
                {
                    session.ApprovalSettled();
                    // An agent that left is ending: its run's last event is its own, not this expiry.
                    if (!agentLeft)
                    {
                        await DecidedAsync(session, expired);
                    }
                    return PermissionAnswer.Deny(message);
                }
                // A person decided in that same moment: theirs stands, and reaches the waiter now.
            }
            var decided = await waiter.Task;
            session.ApprovalSettled();
            await DecidedAsync(session, decided);
            return decided.Status == "approved"
                ? PermissionAnswer.Allow(JsonDocument.Parse(decided.UpdatedInputJson is { Length: > 0 } edited ? edited : decided.InputJson).RootElement.Clone())
                : PermissionAnswer.Deny(decided.Message is { Length: > 0 } reason ? $"A person rejected this tool use: {reason}" : "A person rejected this tool use.");
        }
        finally
        {
            _waiting.TryRemove(approval.Id, out _);
        }
    }

    /// <summary>A person's decision: recorded once (a second is FAILED_PRECONDITION), then handed to the waiting agent.</summary>
    public async Task<Approval> DecideAsync(DecideApprovalRequest request, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(request.ApprovalId, out var id))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "approval_id must be a UUID."));
        }
        string? updated = null;
        if (request.Approve && request.UpdatedInputJson is { Length: > 0 } edited)
        {
            updated = JsonNode.Parse(edited) is JsonObject ? edited : throw new RpcException(new Status(StatusCode.InvalidArgument, "updated input must be a JSON object."));
        }
        var owner = request.Owner is { Length: > 0 } named ? named : null;
        var decided = await store.DecideAsync(id, owner, request.Approve ? "approved" : "rejected", request.DecidedBy,
            request.Approve ? null : request.Message, updated, cancellationToken);
        if (decided is null)
        {
            var existing = await store.FindAsync(id, owner, cancellationToken)
                ?? throw new RpcException(new Status(StatusCode.NotFound, $"Approval {id} does not exist."));
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"Approval {id} is already {existing.Status}; a decision is made once."),
                new Metadata { { ProblemCodes.GrpcTrailer, ProblemCodes.ApprovalDecided } });
        }
        if (_waiting.TryGetValue(decided.Id, out var waiter))
        {
            waiter.TrySetResult(decided);
        }
        return decided;
    }

    /// <summary>The event a person acts on; the first pending use moves a running session to waiting_approval.</summary>
    private async Task NeededAsync(AgentSession session, Approval approval)
    {
        var metadata = new JsonObject
        {
            ["approvalId"] = approval.Id,
            ["toolName"] = approval.ToolName,
            ["toolUseId"] = approval.ToolUseId,
            ["input"] = JsonNode.Parse(approval.InputJson),
            ["risk"] = approval.Risk,
            ["reason"] = approval.Reason,
            ["timeoutSeconds"] = TimeoutSeconds,
        };
        var content = $"{approval.ToolName} needs approval ({approval.Risk} risk: {approval.Reason})";
        if (session.ApprovalQueued() && session.Meta.Status == SessionStatus.Running)
        {
            await session.TransitionAsync(SessionStatus.WaitingApproval, EventTypes.ApprovalNeeded, content, metadata);
        }
        else
        {
            await session.EmitAsync(new AgentEvent(EventTypes.ApprovalNeeded, EventTypes.System, content, metadata));
        }
    }

    /// <summary>Every decision is in the session's history; the last one moves the session back to running.</summary>
    private static async Task DecidedAsync(AgentSession session, Approval approval)
    {
        var metadata = new JsonObject
        {
            ["approvalId"] = approval.Id,
            ["toolName"] = approval.ToolName,
            ["toolUseId"] = approval.ToolUseId,
            ["decision"] = approval.Status,
            ["decidedBy"] = approval.DecidedBy,
            ["message"] = approval.Message is { Length: > 0 } message ? message : null,
            ["updatedInput"] = approval.UpdatedInputJson is { Length: > 0 } updated ? JsonNode.Parse(updated) : null,
        };
        var content = $"{approval.ToolName} {approval.Status}" + (approval.DecidedBy is { Length: > 0 } by ? $" by {by}" : "");
        if (session.PendingApprovals == 0 && session.Meta.Status == SessionStatus.WaitingApproval)
        {
            await session.TransitionAsync(SessionStatus.Running, EventTypes.ApprovalDecided, content, metadata);
        }
        else
        {
            await session.EmitAsync(new AgentEvent(EventTypes.ApprovalDecided, EventTypes.System, content, metadata));
        }
    }

    [LoggerMessage(LogLevel.Information, "Session {SessionId}: a {Tool} use ({Risk} risk) waits for approval {ApprovalId}")]
    private static partial void LogQueued(ILogger logger, string sessionId, string tool, string risk, string approvalId);
}
