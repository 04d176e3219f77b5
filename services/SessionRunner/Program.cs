using AgentFleet.SessionRunner.Grpc;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.SessionRunner.Contracts;
using AgentFleet.SessionRunner.Extensions;
using AgentFleet.SessionRunner.Approvals;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.MapDefaultEndpoints();
// Agents call the runner's MCP server with their session key; every other call needs a signed identity.
app.UseWhen(context => !AgentMcp.IsAgentCall(context), other => other.UseCallerIdentity());
app.MapAgentMcp();
app.MapGrpcService<SessionRunnerService>();
app.MapGrpcHealthChecksService();
app.Run();

/// <summary>Visible to functional tests through WebApplicationFactory.</summary>
public partial class Program;
