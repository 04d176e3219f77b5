using AgentFleet.ServiceDefaults.Grpc;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.SessionRunner.Agents;
using AgentFleet.SessionRunner.Approvals;
using AgentFleet.SessionRunner.Contracts;
using AgentFleet.SessionRunner.Grpc;
using AgentFleet.SessionRunner.Infrastructure;
using AgentFleet.SessionRunner.Sandbox;
using AgentFleet.SessionRunner.Services;
using AgentFleet.ServiceDefaults.Data;

namespace AgentFleet.SessionRunner.Extensions;

internal static class Extensions
{
    public const string ResourceName = "session-runner";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddGrpcServer(SessionRunnerGrpc.Descriptor.FullName);
        builder.AddFleetDatabase("fleetdb");
        builder.AddMigrations(ResourceName, typeof(Extensions).Assembly);
        builder.AddFleetRedis("redis");
        builder.Services.Configure<SessionRunnerOptions>(builder.Configuration.GetSection(SessionRunnerOptions.Section));
        builder.Services.Configure<SandboxOptions>(builder.Configuration.GetSection($"{SessionRunnerOptions.Section}:Sandbox"));
        builder.Services.AddSingleton<SessionSandbox>();

        builder.Services.AddSingleton<IAgentAdapter, ClaudeAdapter>();
        builder.Services.AddSingleton<IAgentAdapter, CommandAdapter>();
        builder.Services.AddSingleton<IAgentAdapter, GeminiAdapter>();
        builder.Services.AddSingleton<IAgentAdapter, CodexAdapter>();
        builder.Services.AddSingleton<AgentAdapters>();
        builder.Services.AddSingleton<AgentEnvironment>();
        builder.Services.AddSingleton<SessionKeys>();
        builder.Services.AddIdentitySigner();

        builder.Services.AddSingleton<SessionEventStore>();
        builder.Services.AddSingleton<SessionRecords>();
        builder.Services.AddSingleton<SessionEventHub>();
        builder.Services.AddSingleton<SessionEventPublisher>();
        builder.Services.AddSingleton<SessionWatch>();

        // Hosted in this order: the writer starts before recovery emits, and stops (draining) after the supervisor.
        builder.Services.AddSingleton<SessionEventWriter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<SessionEventWriter>());
        builder.Services.AddSingleton<SessionSupervisor>();
        builder.Services.AddHostedService(services => services.GetRequiredService<SessionSupervisor>());
        builder.Services.AddHostedService<SessionCleanup>();
        // After the supervisor: it claims the sessions the supervisor found, and leaves before the supervisor stops.
        builder.Services.AddSingleton<RunnerRegistry>();
        builder.Services.AddHostedService<RunnerHeartbeat>();

        builder.Services.Configure<ApprovalOptions>(builder.Configuration.GetSection(ApprovalOptions.Section));
        builder.Services.AddSingleton<RiskAssessor>();
        builder.Services.AddSingleton<ApprovalStore>();
        builder.Services.AddSingleton<ApprovalGate>();
        builder.Services.AddSingleton<AgentMcpAddress>();
        builder.Services.AddAgentMcp();
    }
}
