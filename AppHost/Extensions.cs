using AgentFleet.Hosting;
using AgentFleet.Hosting.ApplicationModel;

namespace AgentFleet.AppHost;

internal static class Extensions
{
    /// <summary>An HTTP/2 cleartext endpoint named <c>grpc</c>, beside the service's <c>http</c> one.</summary>
    public static IResourceBuilder<ProjectResource> WithGrpcEndpoint(this IResourceBuilder<ProjectResource> builder) =>
        builder.WithEndpoint("grpc", "http", http2Only: true);

    /// <summary>9090 unless <c>GATEWAY_PORT</c> says otherwise; 0 picks a free port.</summary>
    public static int? GatewayPort()
    {
        var configured = Environment.GetEnvironmentVariable("GATEWAY_PORT");
        if (string.IsNullOrEmpty(configured))
        {
            return 9090;
        }
        if (!int.TryParse(configured, out var port) || port is < 0 or > 65535)
        {
            throw new InvalidOperationException($"GATEWAY_PORT must be a port number (0 for a free one), not '{configured}'.");
        }
        return port == 0 ? null : port;
    }
}
