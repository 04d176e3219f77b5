using AgentFleet.AppHost.Agents;

namespace AgentFleet.AppHost;

internal static class ProjectExtensions
{
    /// <summary>
    /// The service's endpoints: <c>http</c> (HTTP/1.1, REST, health, metrics) and, for a gRPC server, <c>grpc</c>, an
    /// HTTP/2-only port, because h2c cannot share a port with HTTP/1.1. Kestrel is told both through its own
    /// configuration, since once one Kestrel endpoint is configured it ignores ASPNETCORE_URLS.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithServiceEndpoints(this IResourceBuilder<ProjectResource> builder, bool grpc) =>
        builder.WithEndpoints(grpc, proxied: true, httpPort: null, grpcPort: null);

    /// <summary>
    /// The gateway's public ports, served by the gateway itself rather than through DCP's proxy: its gRPC routes match the
    /// port a client connected to, which must be the one Kestrel listens on.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithPublicEndpoints(this IResourceBuilder<ProjectResource> builder, int? httpPort, int? grpcPort) =>
        builder.WithEndpoints(grpc: true, proxied: false, httpPort, grpcPort);

    private static IResourceBuilder<ProjectResource> WithEndpoints(this IResourceBuilder<ProjectResource> builder, bool grpc, bool proxied, int? httpPort, int? grpcPort)
    {
        // Plain HTTP inside the fleet; TLS, where wanted, ends in front of the gateway. Said here so the dashboard does
        // not warn about the developer certificate no service uses (the API is marked for evaluation).
#pragma warning disable ASPIRECERTIFICATES001
        builder.WithoutHttpsCertificate();
#pragma warning restore ASPIRECERTIFICATES001
        builder.WithHttpEndpoint(port: httpPort, targetPort: proxied ? null : httpPort, name: "http", isProxied: proxied);
        if (grpc)
        {
            builder.WithHttpEndpoint(port: grpcPort, targetPort: proxied ? null : grpcPort, name: "grpc", isProxied: proxied)
                .WithEndpoint("grpc", e => e.Transport = "http2");
        }
        return builder.WithEnvironment(context =>
        {
            foreach (var endpoint in builder.Resource.GetEndpoints())
            {
                // A TCP endpoint is the service's own listener (the agent-control port), not one of Kestrel's HTTP endpoints.
                if (endpoint.EndpointAnnotation.UriScheme == "tcp")
                {
                    continue;
                }
                var name = endpoint.EndpointName;
                // Loopback when run here; every interface in a container, where the platform routes to it.
                var host = context.ExecutionContext.IsRunMode ? "localhost" : "*";
                context.EnvironmentVariables[$"Kestrel__Endpoints__{name}__Url"] = ReferenceExpression.Create($"http://{host}:{endpoint.Property(EndpointProperty.TargetPort)}");
                context.EnvironmentVariables[$"Kestrel__Endpoints__{name}__Protocols"] = endpoint.EndpointAnnotation.Transport == "http2" ? "Http2" : "Http1";
            }
        });
    }

    /// <summary>
    /// An agent-control port (JSON-RPC 2.0 over TCP), served by the process itself rather than through DCP's proxy
    /// (which would accept connections for a service that is down): ManagementApi's, inside the fleet, on any port;
    /// the gateway's, the public one, relaying to it. Loopback when run here, every interface in a deployment.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithAgentControlEndpoint(this IResourceBuilder<ProjectResource> builder, int? port, string section)
    {
        builder.WithEndpoint(name: "agent-control", port: port, targetPort: port, scheme: "tcp", isProxied: false);
        var endpoint = builder.GetEndpoint("agent-control");
        return builder.WithEnvironment(context =>
        {
            context.EnvironmentVariables[$"{section}__AgentControlPort"] = endpoint.Property(EndpointProperty.TargetPort);
            context.EnvironmentVariables[$"{section}__AgentControlAddress"] = context.ExecutionContext.IsRunMode ? "127.0.0.1" : "0.0.0.0";
        });
    }

    /// <summary>
    /// The AppHost's own <c>OTEL_*</c> variables (an exporter endpoint and its headers, a sampler), passed on: set, they
    /// take the place of the dashboard's OTLP endpoint that Aspire gives every project.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithOtelFromHost(this IResourceBuilder<ProjectResource> builder) =>
        builder
            // Each service's telemetry is named after its resource, wherever it goes.
            .WithEnvironment("OTEL_SERVICE_NAME", builder.Resource.Name)
            .WithEnvironmentFromHost("OTEL_");

    /// <summary>A directory on this machine, under <c>.fleet/</c>: only when run here; a deployment mounts its own volumes.</summary>
    public static IResourceBuilder<T> WithLocalDirectory<T>(this IResourceBuilder<T> builder, string variable, string directory) where T : IResourceWithEnvironment =>
        builder.WithEnvironment(context =>
        {
            if (context.ExecutionContext.IsRunMode)
            {
                context.EnvironmentVariables[variable] = directory;
            }
        });

    /// <summary>
    /// Passes on every setting of the AppHost's configuration (its environment, its command line) whose name starts with
    /// <paramref name="prefix"/>, as environment variables (<c>ComfyUI:Servers:0</c> → <c>ComfyUI__Servers__0</c>).
    /// </summary>
    public static IResourceBuilder<T> WithEnvironmentFromHost<T>(this IResourceBuilder<T> builder, string prefix) where T : IResourceWithEnvironment
    {
        var configuration = builder.ApplicationBuilder.Configuration;
        var section = prefix.Replace("__", ":");
        return builder.WithEnvironment(context =>
        {
            if (context.ExecutionContext.IsPublishMode)
            {
                return;
            }
            foreach (var (key, value) in configuration.AsEnumerable())
            {
                if (value is not null && key.StartsWith(section, StringComparison.Ordinal))
                {
                    context.EnvironmentVariables[key.Replace(":", "__")] = value;
                }
            }
        });
    }

    /// <summary>Where the runner keeps session directories, and the Claude Code CLI the run installed (else <c>claude</c> on PATH).</summary>
    public static IResourceBuilder<ProjectResource> WithAgentRunnerDefaults(this IResourceBuilder<ProjectResource> builder, string fleetHome, IResourceBuilder<AgentClisResource> agents) =>
        builder
            .WithLocalDirectory("SessionRunner__Root", Path.Combine(fleetHome, "runner"))
            .WaitForCompletion(agents)
            .WithEnvironment(context =>
            {
                // Read when the runner starts, after the install has finished.
                if (context.ExecutionContext.IsRunMode && File.Exists(agents.Resource.ClaudePath))
                {
                    context.EnvironmentVariables["SessionRunner__Claude__Path"] = agents.Resource.ClaudePath;
                }
            });
}
