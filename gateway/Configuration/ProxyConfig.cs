namespace AgentFleet.Gateway.Configuration;

/// <summary>
/// The <c>ReverseProxy</c> section, shaped like YARP's so that moving to YARP is a package swap: routes match a path
/// and methods and name a cluster and policies; clusters list destinations.
/// </summary>
public sealed class ReverseProxyConfig
{
    public const string Section = "ReverseProxy";

    public Dictionary<string, RouteConfig> Routes { get; set; } = [];

    public Dictionary<string, ClusterConfig> Clusters { get; set; } = [];
}

public sealed class RouteConfig
{
    public string? ClusterId { get; set; }

    public RouteMatch Match { get; set; } = new();

    /// <summary><c>anonymous</c>, <c>viewer</c>, <c>operator</c> or <c>admin</c>; empty means any valid key.</summary>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>A policy under <c>RateLimiting:Policies</c>, or <c>disable</c>; empty means the default policy.</summary>
    public string? RateLimiterPolicy { get; set; }

    /// <summary>How long the exchange may stay silent before the service answers (a request body still flowing keeps
    /// it alive); once the answer has begun, a streamed body is not cut by it.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Bytes; -1 for no limit; empty keeps Kestrel's default (about 28.6 MiB).</summary>
    public long? MaxRequestBodySize { get; set; }

    /// <summary>
    /// Empty: the route answers on the gateway's HTTP port. <c>grpc</c>: only on its HTTP/2 port for gRPC clients
    /// (<c>Kestrel:Endpoints:grpc</c>), and the route is left out when the gateway has none.
    /// </summary>
    public string? Listener { get; set; }

    /// <summary>YARP-style transforms; <c>PathRemovePrefix</c> is the one supported.</summary>
    public List<Dictionary<string, string>> Transforms { get; set; } = [];
}

public sealed class RouteMatch
{
    /// <summary>A route template, such as <c>/v1/sessions/{**rest}</c>.</summary>
    public string? Path { get; set; }

    /// <summary>Empty: any method.</summary>
    public List<string> Methods { get; set; } = [];
}

public sealed class ClusterConfig
{
    public Dictionary<string, DestinationConfig> Destinations { get; set; } = [];

    public ClusterHttpRequestConfig HttpRequest { get; set; } = new();

    /// <summary>
    /// Left out, with its routes, when its service has no address (the web console: a gateway run without it serves
    /// the API alone); any other cluster without one stops the start.
    /// </summary>
    public bool Optional { get; set; }
}

public sealed class DestinationConfig
{
    /// <summary>
    /// An absolute URL, or a service name resolved the way Aspire's service discovery does it: <c>http://management-api</c>
    /// reads <c>services__management-api__http__0</c>, <c>http://_grpc.management-api</c> its <c>grpc</c> endpoint.
    /// </summary>
    public string? Address { get; set; }
}

public sealed class ClusterHttpRequestConfig
{
    /// <summary><c>1.1</c> (default) or <c>2</c> (HTTP/2 with prior knowledge over cleartext, ALPN over TLS).</summary>
    public string? Version { get; set; }
}
