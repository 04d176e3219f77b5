using AgentFleet.ZaiProxy.Grpc;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.ZaiProxy.Apis;
using AgentFleet.ZaiProxy.Contracts;
using AgentFleet.ZaiProxy.Extensions;
using AgentFleet.ZaiProxy.Simulation;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.MapDefaultEndpoints();
// Its HTTP API authenticates callers itself (session keys or the gateway's identity); its gRPC needs a signature.
app.UseCallerIdentity(grpcOnly: true);
app.MapGrpcService<ZaiProxyService>();
app.MapGrpcHealthChecksService();
app.MapOpenApi();
app.MapMessagesApi();
app.MapChatApi();
if (app.Configuration.GetValue<bool>("Upstream:ServeSimulator"))
{
    // The simulated model on its own, unauthenticated, as a stand-in upstream for benchmarks; off unless asked for.
    app.MapGroup("/simulated").MapSimulatedUpstream(app.Services.GetRequiredService<SimulatedModel>());
}
app.Run();

/// <summary>Visible to functional tests through WebApplicationFactory.</summary>
public partial class Program;
