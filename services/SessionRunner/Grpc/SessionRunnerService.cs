using Grpc.Core;
using AgentFleet.SessionRunner.Approvals;
using AgentFleet.SessionRunner.Contracts;
using AgentFleet.SessionRunner.Infrastructure;
using AgentFleet.SessionRunner.Services;
using Google.Protobuf;

namespace AgentFleet.SessionRunner.Grpc;

/// <summary>Serves session_runner.proto over the supervisor; its RpcExceptions are the statuses callers see.</summary>
internal sealed class SessionRunnerService(SessionSupervisor supervisor, SessionWatch watch, SessionRecords records, SessionEventStore events,
    ApprovalStore approvals, ApprovalGate gate, RunnerRegistry runners, Microsoft.Extensions.Options.IOptions<SessionRunnerOptions> options) : SessionRunnerGrpc.SessionRunnerBase
{
    public override Task<RunnerList> ListRunners(ListRunnersRequest request, ServerCallContext context) =>
        runners.ListLiveAsync(TimeSpan.FromSeconds(options.Value.LeaseSeconds), context.CancellationToken);

    public override async Task<ApprovalList> ListApprovals(ListApprovalsRequest request, ServerCallContext context)
    {
        if (request.Limit is < 1 or > 1000)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "limit must be 1 to 1000."));
        }
        var list = new ApprovalList();
        list.Approvals.AddRange(await approvals.ListAsync(NullIfEmpty(request.Owner), NullIfEmpty(request.Status),
            request.SessionId.Length > 0 ? ParseId(request.SessionId) : null,
            request.ApprovalId.Length > 0 ? ParseId(request.ApprovalId) : null, request.Limit, context.CancellationToken));
        return list;
    }

    public override Task<Approval> DecideApproval(DecideApprovalRequest request, ServerCallContext context) =>
        gate.DecideAsync(request, context.CancellationToken);

    public override Task<SessionInfo> StartSession(StartSessionRequest request, ServerCallContext context) =>
        supervisor.StartSessionAsync(request);

    public override Task<SessionInfo> StopSession(SessionRef request, ServerCallContext context) =>
        supervisor.StopSessionAsync(request.SessionId);

    public override Task<SessionInfo> PauseSession(SessionRef request, ServerCallContext context) =>
        supervisor.PauseSessionAsync(request.SessionId);

    public override Task<SessionInfo> ResumeSession(ResumeSessionRequest request, ServerCallContext context) =>
        supervisor.ResumeSessionAsync(request.SessionId, request.Task);

    public override Task<SessionInfo> GetSession(SessionRef request, ServerCallContext context)
    {
        var session = supervisor.Find(request.SessionId);
        var info = session.ToInfo();
        info.LogTail.AddRange(SessionLog.Tail(session.LogPath));
        return Task.FromResult(info);
    }

    public override Task WatchSession(WatchSessionRequest request, IServerStreamWriter<SessionEvent> events, ServerCallContext context) =>
        watch.StreamAsync(request.SessionId, request.FromSequence, e => events.WriteAsync(e), context.CancellationToken);

    public override Task<RunnerStatus> GetRunnerStatus(RunnerStatusRequest request, ServerCallContext context) =>
        Task.FromResult(supervisor.GetStatus());

    public override Task ReadLog(ReadLogRequest request, IServerStreamWriter<LogChunk> chunks, ServerCallContext context) =>
        SessionLog.StreamAsync(supervisor.Find(request.SessionId), request.Offset, request.Follow,
            (data, offset) => chunks.WriteAsync(new LogChunk { Data = ByteString.CopyFrom(data), Offset = offset }), context.CancellationToken);

    public override async Task<SessionRecord> FindSession(SessionRef request, ServerCallContext context) =>
        await records.FindAsync(ParseId(request.SessionId), context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"Session {request.SessionId} does not exist."));

    public override Task<SessionList> ListSessions(ListSessionsRequest request, ServerCallContext context)
    {
        if (request.Limit is < 1 or > 500 || request.Offset < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "limit must be 1 to 500 and offset 0 or more."));
        }
        return records.ListAsync(NullIfEmpty(request.Owner), NullIfEmpty(request.Status),
            Guid.TryParse(request.ParentSessionId, out var parent) ? parent : null, request.Limit, request.Offset, context.CancellationToken);
    }

    public override async Task<SessionEventPage> ReadEvents(ReadEventsRequest request, ServerCallContext context)
    {
        if (request.Limit is < 1 or > 5000 || request.FromSequence < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "limit must be 1 to 5000 and from_sequence 0 or more."));
        }
        var page = new SessionEventPage();
        page.Events.AddRange(await events.ReadAsync(ParseId(request.SessionId), request.FromSequence, request.Limit, context.CancellationToken));
        return page;
    }

    private static Guid ParseId(string sessionId) => Guid.TryParse(sessionId, out var id)
        ? id
        : throw new RpcException(new Status(StatusCode.InvalidArgument, "session_id must be a UUID."));

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
