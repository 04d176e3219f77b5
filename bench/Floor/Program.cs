// Built as the services are (WebApplication.CreateBuilder, the Web SDK's defaults), with one endpoint to probe.
var app = WebApplication.CreateBuilder(args).Build();
app.MapGet("/health", () => "Healthy");
app.Run();
