using System.Net;
using AgentFleet.ManagementApi.Mcp.AgentControl;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ServiceDefaults.Security;
using Microsoft.AspNetCore.Connections;
using ModelContextProtocol;

namespace AgentFleet.ManagementApi.Mcp;

/// <summary>
/// The fleet as an MCP server: one set of tools and one resource, reached three ways. Streamable HTTP at <see cref="Path"/>
/// (stateless, so any replica answers), through the gateway with an API key or directly by an agent with its session key;
/// JSON-RPC over TCP on the agent-control port (<c>AGENT_CONTROL_PORT</c>); and stdio through <c>tools/fleet-mcp</c>,
/// which relays to either.
/// </summary>
public static class FleetMcp
{
    public const string Path = "/mcp";

    public static void AddFleetMcp(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(FleetMcpOptions.Section);
        builder.Services.Configure<FleetMcpOptions>(section);
        builder.Services.AddSingleton<SessionKeys>();
        builder.Services.AddSingleton<McpCallers>();
        builder.Services.AddSingleton<McpSessionServices>();
        builder.Services.AddHttpClient(WorkflowTools.HttpClientName, client => client.BaseAddress = new Uri("http://comfy-bridge"));
        builder.Services.AddMcpServer(options =>
            {
                options.ServerInfo = new() { Name = "agent-fleet", Title = "Agent Fleet", Version = "1.0" };
                options.ServerInstructions = "Run and watch AI coding agents: create_session starts one, wait_for_session waits for it, "
                    + "fleet://sessions/{id}/messages is its transcript. Approvals, templates, usage and status have tools of their own.";
            })
            .WithHttpTransport(options => options.Stateless = true)
            .WithTools<SessionTools>()
            .WithTools<FleetTools>()
            .WithTools<WorkflowTools>()
            .WithListResourceTemplatesHandler(TranscriptResource.ListTemplates)
            .WithReadResourceHandler(TranscriptResource.Read)
            .WithSubscribeToResourcesHandler(TranscriptResource.Subscribe)
            .WithUnsubscribeFromResourcesHandler(TranscriptResource.Unsubscribe)
            // A refusal from the REST handlers a tool calls is the tool's error result, with the same words and code.
            .WithRequestFilters(filters => filters.AddCallToolFilter(next => async (request, cancellationToken) =>
            {
                try
                {
                    return await next(request, cancellationToken);
                }
                catch (ProblemException e)
                {
                    return ToolResults.Error(e);
                }
            }));

        var port = section.GetValue<int?>(nameof(FleetMcpOptions.AgentControlPort)) ?? builder.Configuration.GetValue("AGENT_CONTROL_PORT", 0);
        if (port > 0)
        {
            builder.Services.PostConfigure<FleetMcpOptions>(options => options.AgentControlPort = port);
            var address = IPAddress.Parse(section[nameof(FleetMcpOptions.AgentControlAddress)] ?? new FleetMcpOptions().AgentControlAddress);
            builder.Services.AddSingleton<AgentControlHandler>();
            // Beside the HTTP endpoints Kestrel is configured with: a listener of its own, speaking lines of JSON-RPC.
            builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(kestrel =>
                kestrel.Listen(address, port, listen => listen.UseConnectionHandler<AgentControlHandler>()));
        }
    }

    /// <summary>Agents call <see cref="Path"/> with their session key rather than the gateway's signature: it is checked here.</summary>
    public static bool IsMcpCall(HttpContext context) => context.Request.Path.StartsWithSegments(Path);

    public static void MapFleetMcp(this WebApplication app)
    {
        var signer = app.Services.GetRequiredService<IdentitySigner>();
        app.UseWhen(IsMcpCall, branch => branch.Use(async (context, next) =>
        {
            var caller = signer.Verify(context.Request);
            if (caller is null && BearerToken.Read(context.Request) is { } key)
            {
                caller = await context.RequestServices.GetRequiredService<McpCallers>().FromSessionKeyAsync(key, context.RequestAborted);
            }
            if (caller is null)
            {
                throw new ProblemException(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthorized, "Not authenticated.",
                    "The fleet's MCP server answers requests the gateway signed (an API key) and agents' live session keys.",
                    "Call the gateway's /mcp with Authorization: Bearer <your API key>.");
            }
            context.Features.Set(caller);
            context.User = McpCaller.ToPrincipal(caller);
            await next(context);
        }));
        app.MapMcp(Path);
    }
}
