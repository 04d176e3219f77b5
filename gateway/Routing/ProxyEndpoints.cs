using AgentFleet.Gateway.Auth;
using AgentFleet.Gateway.Configuration;
using AgentFleet.Gateway.Forwarding;

namespace AgentFleet.Gateway.Routing;

public static class ProxyEndpoints
{
    /// <summary>
    /// One endpoint per configured route, so ASP.NET Core's routing picks the most specific match and its
    /// authorization middleware applies the route's policy; the route itself rides along as endpoint metadata for
    /// the rate limiter and the forwarder.
    /// </summary>
    public static IEndpointRouteBuilder MapProxyRoutes(this IEndpointRouteBuilder app)
    {
        var routes = app.ServiceProvider.GetRequiredService<IReadOnlyList<ProxyRoute>>();
        var forwarder = app.ServiceProvider.GetRequiredService<RouteForwarder>();
        foreach (var route in routes)
        {
            RequestDelegate handler = context => forwarder.ForwardAsync(context, route);
            var endpoint = route.Methods.Count == 0 ? app.Map(route.Pattern, handler) : app.MapMethods(route.Pattern, route.Methods, handler);
            endpoint.WithDisplayName($"proxy {route.Id} → {route.Cluster.Id}").WithMetadata(route).ExcludeFromDescription();
            if (route.AuthorizationPolicy == GatewayPolicies.Anonymous)
            {
                endpoint.AllowAnonymous();
            }
            else
            {
                endpoint.RequireAuthorization(route.AuthorizationPolicy);
            }
        }
        return app;
    }
}
