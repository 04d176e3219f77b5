using AgentFleet.Grpc.Server;
using AgentFleet.SessionRunner.Contracts;
using AgentFleet.SessionRunner.Grpc;
using AgentFleet.SessionRunner.Infrastructure;
using AgentFleet.ServiceDefaults.Data;

namespace AgentFleet.SessionRunner.Extensions;

internal static class Extensions
{
    public const string ResourceName = "session-runner";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddGrpcServer();
        builder.Services.AddScoped<SessionRunnerGrpc.SessionRunnerBase, SessionRunnerService>();
        builder.AddNpgsqlDataSource("fleetdb");
        builder.AddMigrations(ResourceName, typeof(Extensions).Assembly);
        builder.AddRedisClient("redis");
        builder.Services.AddSingleton<SessionEventPublisher>();
    }
}
