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
// Pings every 15 s keep an idle stream alive through the gateway, which cuts a connection silent past its route's timeout.
app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(15) });
app.MapOpenApi();
app.MapGrpcService<ComfyBridgeService>();
app.MapGrpcHealthChecksService();
app.MapWorkflowsApi();
app.MapOutputsApi();
app.MapBridgeStatusApi();
app.Run();

/// <summary>Visible to functional tests through WebApplicationFactory.</summary>
public partial class Program;
