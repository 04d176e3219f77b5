using AgentFleet.Gateway.Auth;

namespace AgentFleet.Gateway.Configuration;

/// <summary>
/// Turns the <c>ReverseProxy</c> and <c>RateLimiting</c> sections into routes, checking everything they name. Every
/// problem is collected, and the gateway does not start until they are fixed: a typo in a policy name must not
/// quietly leave a route unprotected.
/// </summary>
public static class GatewayConfigLoader
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(100);

    public static IReadOnlyList<ProxyRoute> Load(IConfiguration configuration)
    {
        var proxy = configuration.GetSection(ReverseProxyConfig.Section).Get<ReverseProxyConfig>() ?? new ReverseProxyConfig();
        var limits = configuration.GetSection(RateLimitingConfig.Section).Get<RateLimitingConfig>() ?? new RateLimitingConfig();
        var errors = new List<string>();

        var policies = limits.Policies.ToDictionary(p => p.Key, p => new RateLimitPolicy(p.Key, p.Value.PermitLimit, p.Value.Window), StringComparer.OrdinalIgnoreCase);
        policies.TryAdd("default", new RateLimitPolicy("default", RateLimitingConfig.DefaultPermitLimit, TimeSpan.FromMinutes(1)));
        foreach (var policy in policies.Values.Where(p => p.PermitLimit < 1 || p.Window <= TimeSpan.Zero))
        {
            errors.Add($"Rate limit policy '{policy.Name}': PermitLimit must be at least 1 and Window positive.");
        }
        if (!policies.ContainsKey(limits.DefaultPolicy))
        {
            errors.Add($"RateLimiting:DefaultPolicy '{limits.DefaultPolicy}' is not a policy (policies: {string.Join(", ", policies.Keys)}).");
        }

        // Routes for gRPC clients need the gateway's HTTP/2 port; without one they are left out, with the clusters only they use.
        var omitted = GrpcPort(configuration) is null
            ? proxy.Routes.Where(r => string.Equals(r.Value.Listener, "grpc", StringComparison.OrdinalIgnoreCase)).Select(r => r.Key).ToHashSet()
            : [];
        var unused = proxy.Clusters.Keys.Where(c => proxy.Routes.Any(r => omitted.Contains(r.Key) && Same(r.Value.ClusterId, c))
            && !proxy.Routes.Any(r => !omitted.Contains(r.Key) && Same(r.Value.ClusterId, c))).ToHashSet(StringComparer.OrdinalIgnoreCase);

        // An optional cluster whose service is not there is left out with its routes.
        foreach (var (id, _) in proxy.Clusters.Where(c => c.Value.Optional && c.Value.Destinations.Values.Any(d => Resolve(configuration, d.Address, out _) is null)))
        {
            unused.Add(id);
            omitted.UnionWith(proxy.Routes.Where(r => Same(r.Value.ClusterId, id)).Select(r => r.Key));
        }

        var clusters = new Dictionary<string, ProxyCluster>(StringComparer.OrdinalIgnoreCase);
        foreach (var (id, cluster) in proxy.Clusters.Where(c => !unused.Contains(c.Key)))
        {
            var destinations = new List<Uri>();
            var configured = new List<string>();
            foreach (var (name, destination) in cluster.Destinations)
            {
                if (Resolve(configuration, destination.Address, out var error) is { } address)
                {
                    destinations.Add(address);
                    configured.Add(destination.Address!);
                }
                else
                {
                    errors.Add($"Cluster '{id}' destination '{name}': {error}");
                }
            }
            if (cluster.Destinations.Count == 0)
            {
                errors.Add($"Cluster '{id}' has no destinations.");
            }
            var version = cluster.HttpRequest.Version switch
            {
                null or "" or "1.1" => System.Net.HttpVersion.Version11,
                "2" or "2.0" => System.Net.HttpVersion.Version20,
                var other => null,
            };
            if (version is null)
            {
                errors.Add($"Cluster '{id}': HttpRequest:Version '{cluster.HttpRequest.Version}' is not 1.1 or 2.");
            }
            clusters[id] = new ProxyCluster(id, destinations, version ?? System.Net.HttpVersion.Version11, configured);
        }

        var routes = new List<ProxyRoute>();
        foreach (var (id, route) in proxy.Routes.Where(r => !omitted.Contains(r.Key)))
        {
            var prefix = $"Route '{id}'";
            if (string.IsNullOrWhiteSpace(route.Match.Path) || !route.Match.Path.StartsWith('/'))
            {
                errors.Add($"{prefix}: Match:Path must be a path template starting with '/'.");
            }
            if (route.ClusterId is null || !clusters.TryGetValue(route.ClusterId, out var cluster))
            {
                errors.Add($"{prefix}: cluster '{route.ClusterId}' is not defined (clusters: {string.Join(", ", clusters.Keys)}).");
                continue;
            }
            var authorization = string.IsNullOrEmpty(route.AuthorizationPolicy) ? GatewayPolicies.Default : route.AuthorizationPolicy.ToLowerInvariant();
            if (!GatewayPolicies.All.Contains(authorization))
            {
                errors.Add($"{prefix}: authorization policy '{route.AuthorizationPolicy}' is not one of {string.Join(", ", GatewayPolicies.All)}.");
            }
            RateLimitPolicy? rateLimit = null;
            var limitName = string.IsNullOrEmpty(route.RateLimiterPolicy) ? limits.DefaultPolicy : route.RateLimiterPolicy;
            if (!string.Equals(limitName, "disable", StringComparison.OrdinalIgnoreCase) && !policies.TryGetValue(limitName, out rateLimit))
            {
                errors.Add($"{prefix}: rate limiter policy '{limitName}' is not defined (policies: {string.Join(", ", policies.Keys)}, or disable).");
            }
            string? removePrefix = null;
            foreach (var transform in route.Transforms)
            {
                if (transform.TryGetValue("PathRemovePrefix", out var value) && transform.Count == 1 && value.StartsWith('/'))
                {
                    removePrefix = value.TrimEnd('/');
                }
                else
                {
                    errors.Add($"{prefix}: transform {string.Join(", ", transform.Keys)} is not supported (PathRemovePrefix: \"/prefix\" is).");
                }
            }
            if (route.Timeout is { } t && t <= TimeSpan.Zero)
            {
                errors.Add($"{prefix}: Timeout must be positive.");
            }
            if (route.MaxRequestBodySize is < -1)
            {
                errors.Add($"{prefix}: MaxRequestBodySize must be -1 (no limit) or a number of bytes.");
            }
            var grpc = string.Equals(route.Listener, "grpc", StringComparison.OrdinalIgnoreCase);
            if (!grpc && !string.IsNullOrEmpty(route.Listener))
            {
                errors.Add($"{prefix}: Listener '{route.Listener}' is not known (grpc, or nothing for the HTTP port).");
            }
            routes.Add(new ProxyRoute(id, route.Match.Path ?? "/", [.. route.Match.Methods.Select(m => m.ToUpperInvariant())], cluster, authorization,
                rateLimit, route.Timeout ?? DefaultTimeout, route.MaxRequestBodySize, removePrefix, grpc));
        }
        if (proxy.Routes.Count == 0)
        {
            errors.Add("No routes: ReverseProxy:Routes is empty.");
        }
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("The gateway's configuration is not valid:\n  - " + string.Join("\n  - ", errors));
        }
        return routes;
    }

    /// <summary>The port of the gateway's HTTP/2 endpoint for gRPC clients (<c>Kestrel:Endpoints:grpc:Url</c>), if it has one.</summary>
    public static int? GrpcPort(IConfiguration configuration) =>
        Uri.TryCreate(configuration["Kestrel:Endpoints:grpc:Url"]?.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"), UriKind.Absolute, out var url) ? url.Port : null;

    private static bool Same(string? a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    /// <summary>A literal address, or a service name looked up in <c>services:{name}:{endpoint}:0</c>.</summary>
    private static Uri? Resolve(IConfiguration configuration, string? address, out string? error)
    {
        error = null;
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            error = $"Address '{address}' is not an http(s) URL.";
            return null;
        }
        var host = uri.Host;
        var endpoint = uri.Scheme;
        if (host.StartsWith('_') && host.IndexOf('.') is > 1 and var dot)
        {
            endpoint = host[1..dot];
            host = host[(dot + 1)..];
        }
        var service = configuration.GetSection($"services:{host}");
        if (!service.Exists())
        {
            if (host.Contains('.') || host == "localhost" || System.Net.IPAddress.TryParse(host, out _))
            {
                return uri;
            }
            error = $"Address '{address}' names the service '{host}', but services__{host}__{endpoint}__0 is not set (run through the AppHost, or set it).";
            return null;
        }
        if (!Uri.TryCreate(service[$"{endpoint}:0"], UriKind.Absolute, out var resolved))
        {
            error = $"Address '{address}': services__{host}__{endpoint}__0 is not set to a URL.";
            return null;
        }
        return new Uri(resolved, uri.PathAndQuery);
    }
}
