using AgentFleet.Gateway.Configuration;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ServiceDefaults.Security;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace AgentFleet.Gateway.Forwarding;

/// <summary>
/// Forwards one request to its route's cluster with YARP's forwarder, which streams bodies both ways in flat memory
/// (SSE events, long downloads and uploads pass at once), carries upgrades (WebSocket frames and close codes pass
/// untouched), speaks HTTP/2 to a cluster that asks for it, and cancels the service's call when the client leaves.
/// The route's timeout is YARP's activity timeout: the service may stay silent that long, before it answers or between
/// two pieces of a stream. What fails before anything was sent becomes a ProblemDetails (<see cref="ForwardingFailures"/>).
/// </summary>
public sealed class RouteForwarder(IHttpForwarder forwarder, HttpMessageInvoker invoker, IdentitySigner signer, ForwardingFailures failures)
{
    public async Task ForwardAsync(HttpContext context, ProxyRoute route)
    {
        if (!ApplyBodyLimit(context, route))
        {
            // The body is left unread: the connection cannot be reused, and saying so lets the client stop sending.
            context.Response.Headers.Connection = "close";
            await failures.FailAsync(context, route, StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "The request body is too large.",
                $"This route accepts at most {route.MaxRequestBodySize} bytes.", "body_too_large");
            return;
        }
        var destination = route.Cluster.NextDestination();
        var config = new ForwarderRequestConfig
        {
            ActivityTimeout = route.Timeout,
            Version = route.Cluster.Version,
            VersionPolicy = route.Cluster.Version.Major >= 2 ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
        };
        var error = await forwarder.SendAsync(context, destination.ToString(), invoker, config, new RouteTransformer(route, signer));
        if (error != ForwarderError.None)
        {
            await failures.ForwardFailedAsync(context, route, destination, error, context.GetForwarderErrorFeature()?.Exception);
        }
    }

    /// <summary>The route's limit replaces Kestrel's for this request; a declared length over it is refused before any byte is read.</summary>
    private static bool ApplyBodyLimit(HttpContext context, ProxyRoute route)
    {
        if (route.MaxRequestBodySize is not { } limit)
        {
            return true;
        }
        if (limit >= 0 && context.Request.ContentLength > limit)
        {
            return false;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit < 0 ? null : limit;
        }
        return true;
    }
}
