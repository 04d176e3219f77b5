using Grpc.Core;
using AgentFleet.SessionRunner.Contracts;
using AgentFleet.SessionRunner.Services;
using Google.Protobuf;

namespace AgentFleet.SessionRunner.Grpc;

/// <summary>Serves session_runner.proto over the supervisor; its RpcExceptions are the statuses callers see.</summary>
internal sealed class SessionRunnerService(SessionSupervisor supervisor, SessionWatch watch) : SessionRunnerGrpc.SessionRunnerBase
{
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
}
