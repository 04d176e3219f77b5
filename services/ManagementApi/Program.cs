using AgentFleet.ManagementApi.Grpc;
using AgentFleet.ManagementApi.Apis;
using AgentFleet.ManagementApi.Contracts;
using AgentFleet.ManagementApi.Extensions;
using AgentFleet.ManagementApi.Mcp;
using AgentFleet.ServiceDefaults.Security;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.MapDefaultEndpoints();
// Agents reach the MCP server with their session key; every other call needs a signed identity.
app.UseWhen(context => !FleetMcp.IsMcpCall(context), other => other.UseCallerIdentity());
app.MapFleetMcp();
// Pings every 15 s keep an idle stream alive through the gateway, which cuts a connection silent past its route's timeout.
app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(15) });
app.MapOpenApi();
app.MapSessionsApi();
app.MapStatusApi();
app.MapKeysApi();
app.MapApprovalsApi();
app.MapTemplatesApi();
app.MapUsageApi();
app.MapGrpcService<ManagementApiService>();
app.MapGrpcHealthChecksService();
app.Run();

/// <summary>Visible to functional tests through WebApplicationFactory.</summary>
public partial class Program;
