using AgentFleet.Grpc.Server;
using AgentFleet.ZaiProxy.Apis;
using AgentFleet.ZaiProxy.Contracts;
using AgentFleet.ZaiProxy.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGrpcService<ZaiProxyGrpc.ZaiProxyBase>();
app.MapMessagesApi();
app.MapChatApi();
app.Run();

/// <summary>Visible to functional tests through WebApplicationFactory.</summary>
public partial class Program;
