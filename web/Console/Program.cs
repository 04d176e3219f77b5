using AgentFleet.Console.Auth;
using AgentFleet.Console.Components;
using AgentFleet.Console.Fleet;
using AgentFleet.ServiceDefaults.Data;
using AgentFleet.ServiceDefaults.Http;

var builder = WebApplication.CreateBuilder(args);
// Blazor's script and the styles are static web assets: served from the build output in every environment (a
// published console has them in wwwroot, and this finds nothing to add).
builder.WebHost.UseStaticWebAssets();
builder.AddServiceDefaults();
builder.AddFleetRedis("redis");
builder.AddConsoleAuth();
// The gateway, found as every service finds another (services__gateway__http__0), unless Console:FleetUrl says where.
var fleet = new Uri(builder.Configuration["Console:FleetUrl"] ?? "http://gateway");
builder.Services.AddHttpClient(FleetApi.ClientName, client => client.BaseAddress = fleet);
builder.Services.AddHttpClient(FleetApi.StreamClientName, client =>
{
    client.BaseAddress = fleet;
    client.Timeout = Timeout.InfiniteTimeSpan;
}).WithoutResilience();
builder.Services.AddScoped<FleetApi>();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();

var app = builder.Build();
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapConsoleAuth();
app.MapComfyOutputs();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.Run();
