using AgentFleet.Gateway.Configuration;
using AgentFleet.Gateway.RateLimiting;
using Yarp.ReverseProxy.Forwarder;
using YarpRoute = Yarp.ReverseProxy.Configuration.RouteConfig;
using YarpCluster = Yarp.ReverseProxy.Configuration.ClusterConfig;

namespace AgentFleet.Gateway.Routing;

/// <summary>
/// The gateway's routes as YARP's configuration, made from the <c>ReverseProxy</c> section once
/// <see cref="GatewayConfigLoader"/> has checked everything it names. Each route gets a cluster of its own (its
/// cluster's destinations and HTTP version) because the route's timeout is the cluster's activity timeout in YARP:
/// how long the service may stay silent, before it answers or between two pieces of a stream. Its authorization and
/// rate-limiter policies are YARP's route settings.
/// </summary>
public sealed class ProxyRoutes(IReadOnlyList<ProxyRoute> routes, int? grpcPort)
{
    public IReadOnlyDictionary<string, ProxyRoute> ById { get; } = routes.ToDictionary(r => r.Id, StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<YarpRoute> Routes { get; } = [.. routes.Select(route => new YarpRoute
    {
        RouteId = route.Id,
        ClusterId = ClusterOf(route),
        Match = new Yarp.ReverseProxy.Configuration.RouteMatch
        {
            Path = route.Pattern,
            Methods = route.Methods.Count == 0 ? null : route.Methods,
            // A route for gRPC clients answers only on the gateway's HTTP/2 port.
            Hosts = route.GrpcListener ? [$"*:{grpcPort}"] : null,
        },
        AuthorizationPolicy = route.AuthorizationPolicy,
        RateLimiterPolicy = route.RateLimit is { } limit ? RateLimiterSetup.PolicyName(limit) : "Disable",
        Transforms = route.PathRemovePrefix is { } prefix ? [new Dictionary<string, string> { ["PathRemovePrefix"] = prefix }] : null,
    })];

    public IReadOnlyList<YarpCluster> Clusters { get; } = [.. routes.Select(route => new YarpCluster
    {
        ClusterId = ClusterOf(route),
        // As configured: service names are resolved by service discovery (AddServiceDiscoveryDestinationResolver).
        Destinations = route.Cluster.Configured.Select((address, i) => (address, i))
            .ToDictionary(d => $"d{d.i}", d => new Yarp.ReverseProxy.Configuration.DestinationConfig { Address = d.address }),
        HttpRequest = new ForwarderRequestConfig
        {
            ActivityTimeout = route.Timeout,
            Version = route.Cluster.Version,
            VersionPolicy = route.Cluster.Version.Major >= 2 ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
        },
    })];

    private static string ClusterOf(ProxyRoute route) => $"{route.Cluster.Id}/{route.Id}";
}
