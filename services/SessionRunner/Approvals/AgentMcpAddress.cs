using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AgentFleet.SessionRunner.Approvals;

/// <summary>
/// The URL an agent reaches this runner's MCP server at: <c>SessionRunner:AgentMcpUrl</c> when set (a runner behind
/// another address), else the runner's own HTTP/1.1 endpoint on loopback. Agents share the runner's network, so
/// loopback reaches it from inside their sandbox.
/// </summary>
public sealed class AgentMcpAddress(IServer server, IConfiguration configuration)
{
    private string? _url;

    public string Url => _url ??= Resolve();

    private string Resolve()
    {
        if (configuration["SessionRunner:AgentMcpUrl"] is { Length: > 0 } configured)
        {
            return configured.TrimEnd('/');
        }
        // The gRPC endpoint speaks HTTP/2 only, which the agent's HTTP client would not.
        var grpcPort = Uri.TryCreate(configuration["Kestrel:Endpoints:grpc:Url"], UriKind.Absolute, out var grpc) ? grpc.Port : -1;
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses)
        {
            var candidate = address.Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1").Replace("://0.0.0.0", "://127.0.0.1").Replace("://[::]", "://127.0.0.1");
            if (Uri.TryCreate(candidate, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp && uri.Port != grpcPort)
            {
                return $"http://{uri.Authority}{AgentMcp.Path}";
            }
        }
        throw new InvalidOperationException("The runner has no plain HTTP endpoint for agents to reach; set SessionRunner:AgentMcpUrl.");
    }
}
