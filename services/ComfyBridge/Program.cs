using AgentFleet.Grpc.Server;
using AgentFleet.ComfyBridge.Contracts;
using AgentFleet.ComfyBridge.Extensions;
using AgentFleet.ServiceDefaults.Security;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.UseCallerIdentity();
app.MapOpenApi();
app.MapGrpcService<ComfyBridgeGrpc.ComfyBridgeBase>();
app.Run();

/// <summary>Visible to functional tests through WebApplicationFactory.</summary>
public partial class Program;
