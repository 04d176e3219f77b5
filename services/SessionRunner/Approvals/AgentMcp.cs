using AgentFleet.ServiceDefaults.Security;
using AgentFleet.SessionRunner.Model;
using AgentFleet.SessionRunner.Services;

namespace AgentFleet.SessionRunner.Approvals;

/// <summary>
/// The MCP server agents reach at <see cref="Path"/> (Streamable HTTP, stateless): only with their own session's key
/// (<c>Authorization: Bearer fsk_...</c>), only while that session is live on this runner. It serves the permission
/// prompt tool and nothing else.
/// </summary>
public static class AgentMcp
{
    public const string Path = "/agent/mcp";

    /// <summary>The server's name in the agent's MCP configuration, hence the tool's name there: <c>mcp__approvals__permission_prompt</c>.</summary>
    public const string ServerName = "approvals";

    /// <summary>The fleet's own MCP server (ManagementApi's), under which an agent finds <c>mcp__fleet__create_session</c> and the rest.</summary>
    public const string FleetServerName = "fleet";

    public static string PermissionPromptToolName => $"mcp__{ServerName}__{PermissionPromptTool.Name}";

    public static void AddAgentMcp(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddMcpServer(options => options.ServerInfo = new() { Name = "agent-fleet-runner", Version = "1.0" })
            .WithHttpTransport(options => options.Stateless = true)
            .WithTools<PermissionPromptTool>();
    }

    /// <summary>Agents' MCP calls carry their session key, not the gateway's signature: they are checked here instead.</summary>
    public static bool IsAgentCall(HttpContext context) => context.Request.Path.StartsWithSegments(Path);

    public static void MapAgentMcp(this WebApplication app)
    {
        app.UseWhen(IsAgentCall, branch => branch.Use(async (context, next) =>
        {
            var keys = context.RequestServices.GetRequiredService<SessionKeys>();
            var supervisor = context.RequestServices.GetRequiredService<SessionSupervisor>();
            var key = BearerToken.Read(context.Request) is { } token ? keys.Verify(token) : null;
            if (key is null)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                await context.Response.WriteAsync("A session key is required (Authorization: Bearer fsk_...).");
                return;
            }
            if (supervisor.TryFind(key.SessionId) is not { } session || !SessionStatus.IsActive(session.Meta.Status))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsync("This session is not running on this runner.");
                return;
            }
            context.Items[typeof(AgentSession)] = session;
            await next(context);
        }));
        app.MapMcp(Path);
    }
}
