using AgentFleet.Gateway.Configuration;
using AgentFleet.Gateway.RateLimiting;
using Yarp.ReverseProxy.Configuration;
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
public sealed class ProxyRoutes(IReadOnlyList<ProxyRoute> routes, int? grpcPort, bool benchBareRoute = false)
{
    /// <summary>Route metadata that marks the benchmark's bare route: no authorization, no limit, none of the fleet's transforms.</summary>
    public const string BareMetadata = "fleet:bare";

    /// <summary>The header that sends a request down the benchmark's bare route, when there is one.</summary>
    public const string BareHeader = "X-Fleet-Bench-Bare";

    public IReadOnlyDictionary<string, ProxyRoute> ById { get; } = routes.ToDictionary(r => r.Id, StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<YarpRoute> Routes { get; } = [.. BareRoute(routes, benchBareRoute), .. routes.Select(route => new YarpRoute
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

    public IReadOnlyList<YarpCluster> Clusters { get; } = [.. BareCluster(routes, benchBareRoute), .. routes.Select(route => new YarpCluster
    {
        ClusterId = ClusterOf(route),
        Destinations = DestinationsOf(route.Cluster),
        HttpRequest = new ForwarderRequestConfig
        {
            ActivityTimeout = route.Timeout,
            Version = route.Cluster.Version,
            VersionPolicy = route.Cluster.Version.Major >= 2 ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
        },
    })];

    private static string ClusterOf(ProxyRoute route) => $"{route.Cluster.Id}/{route.Id}";

    // As configured: service names are resolved by service discovery (AddServiceDiscoveryDestinationResolver).
    private static Dictionary<string, Yarp.ReverseProxy.Configuration.DestinationConfig> DestinationsOf(ProxyCluster cluster) =>
        cluster.Configured.Select((address, i) => (address, i))
            .ToDictionary(d => $"d{d.i}", d => new Yarp.ReverseProxy.Configuration.DestinationConfig { Address = d.address });

    // Gateway:BenchBareRoute, for the gateway benchmark only: a request with X-Fleet-Bench-Bare: 1 goes to management-api
    // as plain YARP, to measure what the fleet's own steps cost. It passes whatever identity headers a client sends, so
    // it is never for production.
    private static IEnumerable<YarpRoute> BareRoute(IReadOnlyList<ProxyRoute> routes, bool enabled) => enabled && BareTarget(routes) is not null
        ? [new YarpRoute
        {
            RouteId = "bench-bare",
            ClusterId = "bench-bare",
            // Any path, for a request that carries the header; ahead of the fleet's routes.
            Match = new Yarp.ReverseProxy.Configuration.RouteMatch
            {
                Path = "/{**rest}",
                Headers = [new RouteHeader { Name = BareHeader, Values = ["1"], Mode = HeaderMatchMode.ExactHeader }],
            },
            Order = -1,
            AuthorizationPolicy = "Anonymous",
            RateLimiterPolicy = "Disable",
            Metadata = new Dictionary<string, string> { [BareMetadata] = "true" },
        }]
        : [];

    private static IEnumerable<YarpCluster> BareCluster(IReadOnlyList<ProxyRoute> routes, bool enabled) => enabled && BareTarget(routes) is { } cluster
        ? [new YarpCluster
        {
            ClusterId = "bench-bare",
            Destinations = DestinationsOf(cluster),
        }]
        : [];

    private static ProxyCluster? BareTarget(IReadOnlyList<ProxyRoute> routes) =>
        routes.FirstOrDefault(r => r.Cluster.Id.Equals("management-api", StringComparison.OrdinalIgnoreCase))?.Cluster;
}
