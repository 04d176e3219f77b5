namespace AgentFleet.Gateway.Configuration;

/// <summary>A route after validation: everything it names has been found.</summary>
public sealed record ProxyRoute(
    string Id,
    string Pattern,
    IReadOnlyList<string> Methods,
    ProxyCluster Cluster,
    string AuthorizationPolicy,
    RateLimitPolicy? RateLimit,
    TimeSpan Timeout,
    long? MaxRequestBodySize,
    string? PathRemovePrefix,
    bool GrpcListener = false);

/// <summary>
/// A cluster after validation: its destinations as configured (service names such as <c>http://management-api</c>,
/// which service discovery resolves when YARP calls them) and as the addresses they named at start, taken in turn.
/// </summary>
public sealed class ProxyCluster(string id, IReadOnlyList<Uri> destinations, Version version, IReadOnlyList<string>? configured = null)
{
    public IReadOnlyList<string> Configured { get; } = configured ?? [.. destinations.Select(d => d.ToString())];

    private int _next = -1;

    public string Id { get; } = id;

    public IReadOnlyList<Uri> Destinations { get; } = destinations;

    public Version Version { get; } = version;

    public Uri NextDestination() =>
        Destinations.Count == 1 ? Destinations[0] : Destinations[(int)((uint)Interlocked.Increment(ref _next) % (uint)Destinations.Count)];
}

/// <summary>A token bucket: <see cref="PermitLimit"/> requests, refilled evenly over <see cref="Window"/>.</summary>
public sealed record RateLimitPolicy(string Name, int PermitLimit, TimeSpan Window)
{
    public double TokensPerMillisecond => PermitLimit / Window.TotalMilliseconds;
}
