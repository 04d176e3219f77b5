using AgentFleet.Hosting.Testing;
using AgentFleet.Hosting;
using System.Reflection;
using AgentFleet.Hosting.ApplicationModel;

namespace AgentFleet.AppHost;

internal static class Extensions
{
    /// <summary>An HTTP/2 cleartext endpoint named <c>grpc</c>, beside the service's <c>http</c> one.</summary>
    public static IResourceBuilder<ProjectResource> WithGrpcEndpoint(this IResourceBuilder<ProjectResource> builder) =>
        builder.WithEndpoint("grpc", "http", http2Only: true);

    /// <summary>
    /// Where the runner keeps session directories (under <c>.fleet/runner</c>), and the pinned Claude Code CLI from
    /// <c>tools/agents</c> when it is installed (else <c>claude</c> on PATH).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithAgentRunnerDefaults(this IResourceBuilder<ProjectResource> builder, DistributedApplicationBuilder app)
    {
        builder.WithEnvironment("SessionRunner__Root", Path.Combine(app.FleetHome, "runner"));
        // The repository's .fleet is recorded at build time; FLEET_HOME may point anywhere else.
        var repository = Path.GetDirectoryName(typeof(Extensions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "FleetHome")?.Value ?? app.FleetHome)!;
        // The agent CLIs (Claude Code, pinned in tools/agents/package-lock.json) are installed here when missing or
        // stale, so the run command alone gives working claude sessions. Without npm, claude sessions get a 409 that says so.
        var agents = Path.Combine(repository, "tools", "agents");
        try
        {
            NpmPackages.EnsureInstalled(agents, onInstall: () => System.Console.WriteLine($"Installing the agent CLIs: npm ci --prefix {agents} ..."));
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            System.Console.Error.WriteLine($"The agent CLIs could not be installed, so claude sessions are unavailable: {e.Message}");
        }
        var claude = Path.Combine(agents, "node_modules", ".bin", "claude");
        return File.Exists(claude) ? builder.WithEnvironment("SessionRunner__Claude__Path", claude) : builder;
    }

    /// <summary>Where ZaiProxy spools usage rows while the database is away: <c>.fleet/zai-proxy</c>.</summary>
    public static IResourceBuilder<ProjectResource> WithZaiProxyDefaults(this IResourceBuilder<ProjectResource> builder, DistributedApplicationBuilder app) =>
        builder.WithEnvironment("Usage__SpoolDirectory", Path.Combine(app.FleetHome, "zai-proxy"));

    /// <summary>Where ComfyBridge keeps the outputs it copies from ComfyUI: <c>.fleet/comfy-outputs</c>.</summary>
    public static IResourceBuilder<ProjectResource> WithComfyBridgeDefaults(this IResourceBuilder<ProjectResource> builder, DistributedApplicationBuilder app) =>
        builder.WithEnvironment("ComfyUI__OutputDirectory", Path.Combine(app.FleetHome, "comfy-outputs"));

    /// <summary>9090 unless <c>GATEWAY_PORT</c> says otherwise; 0 picks a free port.</summary>
    public static int? GatewayPort() => PortFromEnvironment("GATEWAY_PORT", 9090);

    /// <summary>The gateway's HTTP/2 (h2c) port for gRPC clients: 9091 unless <c>GATEWAY_GRPC_PORT</c> says otherwise; 0 picks a free port.</summary>
    public static int? GatewayGrpcPort() => PortFromEnvironment("GATEWAY_GRPC_PORT", 9091);

    private static int? PortFromEnvironment(string variable, int standard)
    {
        var configured = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrEmpty(configured))
        {
            return standard;
        }
        if (!int.TryParse(configured, out var port) || port is < 0 or > 65535)
        {
            throw new InvalidOperationException($"{variable} must be a port number (0 for a free one), not '{configured}'.");
        }
        return port == 0 ? null : port;
    }
}
