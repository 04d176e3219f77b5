using AgentFleet.ServiceDefaults.Security;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace AgentFleet.Gateway.Forwarding;

/// <summary>
/// What crosses the gateway with a request, on top of YARP's defaults (every header but the hop-by-hop ones, the
/// service's own Host, X-Forwarded-* set afresh): the caller's key stays at the gateway and the service gets the caller's
/// signed identity instead; identity headers a client sent are dropped, because what a client claims about itself is not
/// to be trusted; and, both ways, the headers the <c>Connection</c> header names, which are for one hop only (RFC 9110 §7.6.1).
/// </summary>
internal sealed class FleetTransforms(IdentitySigner signer) : ITransformProvider
{
    private static readonly string[] Dropped = ["Authorization", "X-API-Key", "Forwarded"];

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (context.Route.Metadata?.ContainsKey(Routing.ProxyRoutes.BareMetadata) == true)
        {
            return;
        }
        context.AddRequestTransform(transform =>
        {
            var headers = transform.ProxyRequest.Headers;
            var content = transform.ProxyRequest.Content?.Headers;
            Remove(headers, content, Dropped);
            if (transform.HttpContext.Request.Headers.Connection is { Count: > 0 } connection)
            {
                Remove(headers, content, ConnectionListed(connection));
            }
            // Read without validation: every request passes here, and parsing each header only to look at its name costs.
            List<string>? claimed = null;
            foreach (var header in headers.NonValidated)
            {
                if (header.Key.StartsWith(IdentityHeaders.Prefix, StringComparison.OrdinalIgnoreCase))
                {
                    (claimed ??= []).Add(header.Key);
                }
            }
            foreach (var name in claimed ?? [])
            {
                headers.Remove(name);
            }
            if (transform.HttpContext.Features.Get<CallerIdentity>() is { } identity)
            {
                // Signed for the path the service will see.
                var target = RequestUtilities.MakeDestinationAddress(transform.DestinationPrefix, transform.Path, transform.Query.QueryString);
                transform.ProxyRequest.RequestUri = target;
                signer.Sign(identity, transform.ProxyRequest.Method.Method, target.AbsolutePath, (name, value) => headers.TryAddWithoutValidation(name, value));
            }
            return ValueTask.CompletedTask;
        });
        context.AddResponseTransform(transform =>
        {
            if (transform.ProxyResponse is { } response && response.Headers.NonValidated.TryGetValues("Connection", out var connection))
            {
                foreach (var name in ConnectionListed(connection))
                {
                    transform.HttpContext.Response.Headers.Remove(name);
                }
            }
            return ValueTask.CompletedTask;
        });
    }

    private static void Remove(System.Net.Http.Headers.HttpRequestHeaders headers, System.Net.Http.Headers.HttpContentHeaders? content, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            // Remove throws for a name of the other kind (a content header on the request's), so each is asked first.
            if (headers.NonValidated.Contains(name))
            {
                headers.Remove(name);
            }
            if (content is not null && content.NonValidated.Contains(name))
            {
                content.Remove(name);
            }
        }
    }

    // Upgrade is the handshake itself, which YARP carries.
    private static List<string> ConnectionListed(IEnumerable<string?> connection) =>
        [.. connection.SelectMany(value => (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(token => !token.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.OrdinalIgnoreCase)];
}
