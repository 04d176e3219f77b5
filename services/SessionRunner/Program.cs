using AgentFleet.SessionRunner.Grpc;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.SessionRunner.Contracts;
using AgentFleet.SessionRunner.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.UseCallerIdentity();
app.MapGrpcService<SessionRunnerService>();
app.MapGrpcHealthChecksService();
app.Run();

/// <summary>Visible to functional tests through WebApplicationFactory.</summary>
public partial class Program;
