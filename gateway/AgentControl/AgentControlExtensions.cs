using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AgentFleet.Gateway.AgentControl;

public static class AgentControlExtensions
{
    /// <summary>
    /// With <c>Gateway:AgentControlPort</c> (or <c>AGENT_CONTROL_PORT</c>) set, a listener of its own beside the HTTP
    /// endpoints, on <c>Gateway:AgentControlAddress</c> (loopback unless configured otherwise), relaying to ManagementApi.
    /// </summary>
    public static void AddAgentControlRelay(this IHostApplicationBuilder builder)
    {
        var port = builder.Configuration.GetValue<int?>("Gateway:AgentControlPort") ?? builder.Configuration.GetValue("AGENT_CONTROL_PORT", 0);
        if (port <= 0)
        {
            return;
        }
        var address = IPAddress.Parse(builder.Configuration["Gateway:AgentControlAddress"] ?? "127.0.0.1");
        builder.Services.AddSingleton<AgentControlRelay>();
        builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.Listen(address, port, listen => listen.UseConnectionHandler<AgentControlRelay>()));
    }
}
