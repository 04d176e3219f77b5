using AgentFleet.ManagementApi.Apis;
using AgentFleet.ManagementApi.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.UseWebSockets();
app.MapSessionsApi();
app.MapStatusApi();
app.Run();

/// <summary>Visible to functional tests through WebApplicationFactory.</summary>
public partial class Program;
