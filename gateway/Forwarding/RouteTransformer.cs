using AgentFleet.Gateway.Configuration;
using AgentFleet.ServiceDefaults.Security;
using Yarp.ReverseProxy.Forwarder;

namespace AgentFleet.Gateway.Forwarding;

/// <summary>
/// What crosses the gateway with a request, on top of YARP's defaults (every header but the hop-by-hop ones): the
/// caller's key stays at the gateway, and the service gets the caller's signed identity instead; identity headers and
/// X-Forwarded-* a client sent are dropped and set afresh, because what a client claims about itself is not to be
/// trusted; the service's own Host; the route's prefix taken off the path.
/// </summary>
internal sealed class RouteTransformer(ProxyRoute route, IdentitySigner signer) : HttpTransformer
{
    private static readonly string[] Dropped = ["Authorization", "X-API-Key", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix", "Forwarded"];

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var proceed = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        if (proxyResponse is not null)
        {
            foreach (var name in ConnectionListed(proxyResponse.Headers.Connection))
            {
                httpContext.Response.Headers.Remove(name);
            }
        }
        return proceed;
    }

    private static IEnumerable<string> ConnectionListed(IEnumerable<string?> connection) =>
        connection.SelectMany(value => (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(token => !token.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var headers = proxyRequest.Headers;
        headers.Host = null;
        foreach (var name in Dropped)
        {
            headers.Remove(name);
        }
        foreach (var name in headers.Select(h => h.Key).Where(n => n.StartsWith(IdentityHeaders.Prefix, StringComparison.OrdinalIgnoreCase)).ToList())
        {
            headers.Remove(name);
        }
        // RFC 9110 §7.6.1: a header the Connection header names is for this hop only (Upgrade is the handshake, which YARP carries).
        foreach (var name in ConnectionListed(httpContext.Request.Headers.Connection))
        {
            headers.Remove(name);
            proxyRequest.Content?.Headers.Remove(name);
        }
        var request = httpContext.Request;
        var path = request.Path;
        if (route.PathRemovePrefix is { } prefix && path.StartsWithSegments(prefix, out var rest))
        {
            path = rest.HasValue ? rest : "/";
        }
        proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, path, request.QueryString);
        headers.TryAddWithoutValidation("X-Forwarded-For", httpContext.Connection.RemoteIpAddress?.ToString());
        headers.TryAddWithoutValidation("X-Forwarded-Proto", request.Scheme);
        headers.TryAddWithoutValidation("X-Forwarded-Host", request.Host.Value);
        if (httpContext.Features.Get<CallerIdentity>() is { } identity)
        {
            signer.Sign(identity, proxyRequest.Method.Method, proxyRequest.RequestUri.AbsolutePath, (name, value) => headers.TryAddWithoutValidation(name, value));
        }
    }
}
