using AgentFleet.Gateway.Routing;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Model;

namespace AgentFleet.Gateway.Forwarding;

/// <summary>
/// YARP's proxy pipeline with the fleet's two steps around its forwarder: the route's body limit, and the
/// ProblemDetails a client gets when a forward fails before anything was sent (<see cref="ForwardingFailures"/>).
/// </summary>
public static class ProxyPipeline
{
    public static void Configure(IReverseProxyApplicationBuilder proxy)
    {
        var routes = proxy.ApplicationServices.GetRequiredService<ProxyRoutes>();
        var failures = proxy.ApplicationServices.GetRequiredService<ForwardingFailures>();
        proxy.Use(async (context, next) =>
        {
            if (!routes.ById.TryGetValue(context.GetReverseProxyFeature().Route.Config.RouteId, out var route))
            {
                // The benchmark's bare route: YARP alone.
                await next();
                return;
            }
            if (!ApplyBodyLimit(context, route.MaxRequestBodySize))
            {
                // The body is left unread: the connection cannot be reused, and saying so lets the client stop sending.
                context.Response.Headers.Connection = "close";
                await failures.BodyTooLargeAsync(context, route);
                return;
            }
            await next();
            if (context.GetForwarderErrorFeature() is { } failed)
            {
                var destination = context.GetReverseProxyFeature().ProxiedDestination?.Model.Config.Address;
                await failures.ForwardFailedAsync(context, route, destination is null ? null : new Uri(destination), failed.Error, failed.Exception);
            }
        });
        proxy.UseLoadBalancing();
    }

    /// <summary>The route's limit replaces Kestrel's for this request; a declared length over it is refused before any byte is read.</summary>
    private static bool ApplyBodyLimit(HttpContext context, long? limit)
    {
        if (limit is not { } bytes)
        {
            return true;
        }
        if (bytes >= 0 && context.Request.ContentLength > bytes)
        {
            return false;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = bytes < 0 ? null : bytes;
        }
        return true;
    }
}
