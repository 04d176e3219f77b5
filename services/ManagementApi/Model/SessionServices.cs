using AgentFleet.ManagementApi.Services;
using AgentFleet.SessionRunner.Contracts;
using AgentFleet.SessionRunner.Infrastructure;

namespace AgentFleet.ManagementApi.Model;

/// <summary>What the session endpoints depend on, as one [AsParameters] record.</summary>
public sealed record SessionServices(
    SessionRepository Sessions,
    SessionEventStore Events,
    SessionEventStreams Streams,
    SessionRunnerGrpc.SessionRunnerClient Runner,
    ILogger<SessionServices> Logger);
