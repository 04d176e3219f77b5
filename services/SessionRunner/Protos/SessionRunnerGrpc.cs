using AgentFleet.Grpc;
using AgentFleet.Grpc.Client;
using AgentFleet.Grpc.Server;

namespace AgentFleet.SessionRunner.Contracts;

/// <summary>The session_runner.proto service: method paths, the server base, and the client. Clients include this file by path.</summary>
public static class SessionRunnerGrpc
{
    public const string ServiceName = "fleet.sessionrunner.v1.SessionRunner";

    /// <summary>
    /// The Redis channel where the runner publishes each batch of a session's events (a SessionEventBatch),
    /// once the batch is persisted; live streams subscribe to it.
    /// </summary>
    public static string EventChannel(string sessionId) => $"session:{sessionId}:events";

    public static readonly Method<StartSessionRequest, SessionInfo> StartSession = new(MethodType.Unary, ServiceName, "StartSession", StartSessionRequest.Parser, SessionInfo.Parser);
    public static readonly Method<SessionRef, SessionInfo> StopSession = new(MethodType.Unary, ServiceName, "StopSession", SessionRef.Parser, SessionInfo.Parser);
    public static readonly Method<SessionRef, SessionInfo> PauseSession = new(MethodType.Unary, ServiceName, "PauseSession", SessionRef.Parser, SessionInfo.Parser);
    public static readonly Method<ResumeSessionRequest, SessionInfo> ResumeSession = new(MethodType.Unary, ServiceName, "ResumeSession", ResumeSessionRequest.Parser, SessionInfo.Parser);
    public static readonly Method<SessionRef, SessionInfo> GetSession = new(MethodType.Unary, ServiceName, "GetSession", SessionRef.Parser, SessionInfo.Parser);
    public static readonly Method<WatchSessionRequest, SessionEvent> WatchSession = new(MethodType.ServerStreaming, ServiceName, "WatchSession", WatchSessionRequest.Parser, SessionEvent.Parser);
    public static readonly Method<RunnerStatusRequest, RunnerStatus> GetRunnerStatus = new(MethodType.Unary, ServiceName, "GetRunnerStatus", RunnerStatusRequest.Parser, RunnerStatus.Parser);
    public static readonly Method<ReadLogRequest, LogChunk> ReadLog = new(MethodType.ServerStreaming, ServiceName, "ReadLog", ReadLogRequest.Parser, LogChunk.Parser);

    /// <summary>Every method answers UNIMPLEMENTED until the implementation overrides it.</summary>
    public abstract class SessionRunnerBase : IGrpcService<SessionRunnerBase>
    {
        static string IGrpcService<SessionRunnerBase>.ServiceName => ServiceName;

        public static void Bind(ServiceBinder<SessionRunnerBase> binder)
        {
            binder.AddUnary(StartSession, static (s, r, c) => s.StartSessionAsync(r, c));
            binder.AddUnary(StopSession, static (s, r, c) => s.StopSessionAsync(r, c));
            binder.AddUnary(PauseSession, static (s, r, c) => s.PauseSessionAsync(r, c));
            binder.AddUnary(ResumeSession, static (s, r, c) => s.ResumeSessionAsync(r, c));
            binder.AddUnary(GetSession, static (s, r, c) => s.GetSessionAsync(r, c));
            binder.AddServerStreaming(WatchSession, static (s, r, w, c) => s.WatchSessionAsync(r, w, c));
            binder.AddUnary(GetRunnerStatus, static (s, r, c) => s.GetRunnerStatusAsync(r, c));
            binder.AddServerStreaming(ReadLog, static (s, r, w, c) => s.ReadLogAsync(r, w, c));
        }

        public virtual Task<SessionInfo> StartSessionAsync(StartSessionRequest request, ServerCallContext context) => throw Unimplemented(StartSession);
        public virtual Task<SessionInfo> StopSessionAsync(SessionRef request, ServerCallContext context) => throw Unimplemented(StopSession);
        public virtual Task<SessionInfo> PauseSessionAsync(SessionRef request, ServerCallContext context) => throw Unimplemented(PauseSession);
        public virtual Task<SessionInfo> ResumeSessionAsync(ResumeSessionRequest request, ServerCallContext context) => throw Unimplemented(ResumeSession);
        public virtual Task<SessionInfo> GetSessionAsync(SessionRef request, ServerCallContext context) => throw Unimplemented(GetSession);
        public virtual Task WatchSessionAsync(WatchSessionRequest request, IAsyncStreamWriter<SessionEvent> events, ServerCallContext context) => throw Unimplemented(WatchSession);
        public virtual Task<RunnerStatus> GetRunnerStatusAsync(RunnerStatusRequest request, ServerCallContext context) => throw Unimplemented(GetRunnerStatus);
        public virtual Task ReadLogAsync(ReadLogRequest request, IAsyncStreamWriter<LogChunk> chunks, ServerCallContext context) => throw Unimplemented(ReadLog);

        private static RpcException Unimplemented(IMethod method) => new(StatusCode.Unimplemented, $"{method.FullName} is not implemented yet.");
    }

    public sealed class SessionRunnerClient(CallInvoker invoker)
    {
        public Task<SessionInfo> StartSessionAsync(StartSessionRequest request, CallOptions options = default) => invoker.UnaryAsync(StartSession, request, options);
        public Task<SessionInfo> StopSessionAsync(SessionRef request, CallOptions options = default) => invoker.UnaryAsync(StopSession, request, options);
        public Task<SessionInfo> PauseSessionAsync(SessionRef request, CallOptions options = default) => invoker.UnaryAsync(PauseSession, request, options);
        public Task<SessionInfo> ResumeSessionAsync(ResumeSessionRequest request, CallOptions options = default) => invoker.UnaryAsync(ResumeSession, request, options);
        public Task<SessionInfo> GetSessionAsync(SessionRef request, CallOptions options = default) => invoker.UnaryAsync(GetSession, request, options);
        public ServerStreamingCall<SessionEvent> WatchSession(WatchSessionRequest request, CallOptions options = default) => invoker.ServerStreaming(SessionRunnerGrpc.WatchSession, request, options);
        public Task<RunnerStatus> GetRunnerStatusAsync(RunnerStatusRequest request, CallOptions options = default) => invoker.UnaryAsync(GetRunnerStatus, request, options);
        public ServerStreamingCall<LogChunk> ReadLog(ReadLogRequest request, CallOptions options = default) => invoker.ServerStreaming(SessionRunnerGrpc.ReadLog, request, options);
    }
}
