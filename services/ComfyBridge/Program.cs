using AgentFleet.Grpc.Server;
using AgentFleet.ComfyBridge.Contracts;
using AgentFleet.ComfyBridge.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGrpcService<ComfyBridgeGrpc.ComfyBridgeBase>();
app.Run();

/// <summary>Visible to functional tests through WebApplicationFactory.</summary>
public partial class Program;
