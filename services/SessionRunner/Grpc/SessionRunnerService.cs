using AgentFleet.SessionRunner.Contracts;

namespace AgentFleet.SessionRunner.Grpc;

/// <summary>Serves session_runner.proto; methods a later issue fills in still answer UNIMPLEMENTED from the base.</summary>
internal sealed class SessionRunnerService : SessionRunnerGrpc.SessionRunnerBase;
