using AgentFleet.Gateway.Docs;
using AgentFleet.Gateway.Extensions;
using AgentFleet.Gateway.Forwarding;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.UseGatewayCors();
app.UseRouting();
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseGatewayRateLimiting();
app.UseAuthorization();
app.UseGatewayDocs();
app.MapReverseProxy(ProxyPipeline.Configure);
app.Run();

/// <summary>Visible to functional tests through WebApplicationFactory.</summary>
public partial class Program;
