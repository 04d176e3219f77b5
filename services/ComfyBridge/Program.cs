using AgentFleet.ComfyBridge.Grpc;
using AgentFleet.ComfyBridge.Apis;
using AgentFleet.ComfyBridge.Contracts;
using AgentFleet.ComfyBridge.Extensions;
using AgentFleet.ServiceDefaults.Security;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.UseCallerIdentity();
app.UseOutputNameGuard();
app.UseWebSockets();
app.MapOpenApi();
app.MapGrpcService<ComfyBridgeService>();
app.MapGrpcHealthChecksService();
app.MapWorkflowsApi();
app.MapOutputsApi();
app.MapBridgeStatusApi();
app.Run();

/// <summary>Visible to functional tests through WebApplicationFactory.</summary>
public partial class Program;
