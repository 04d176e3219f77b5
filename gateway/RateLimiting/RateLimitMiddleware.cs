using System.Globalization;
using System.Net;
using AgentFleet.Gateway.Configuration;
using AgentFleet.Gateway.Routing;
using AgentFleet.Gateway.Telemetry;
using Yarp.ReverseProxy.Model;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace AgentFleet.Gateway.RateLimiting;

/// <summary>
/// Limits each proxied request by its route's policy, per API key (per client IP where there is no key). Runs after
/// authentication, so a caller is counted by key wherever it connects from. A stream (SSE, WebSocket) is one request:
/// it is counted when it opens.
/// </summary>
public sealed class RateLimitMiddleware(RequestDelegate next, ProxyRoutes routes, GatewayRateLimiter limiter, IOptions<RateLimitingConfig> options, IProblemDetailsService problems, GatewayMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>() is not { } model
            || !routes.ById.TryGetValue(model.Config.RouteId, out var route) || route.RateLimit is not { } policy
            || (options.Value.ExemptLoopback && context.Connection.RemoteIpAddress is { } ip && IPAddress.IsLoopback(ip)))
        {
            await next(context);
            return;
        }
        var partition = context.Features.Get<CallerIdentity>() is { } caller
            ? $"key:{caller.KeyId}"
            : $"ip:{context.Connection.RemoteIpAddress}";
        var decision = await limiter.TakeAsync(partition, policy, context.RequestAborted);
        var headers = context.Response.Headers;
        headers["X-RateLimit-Limit"] = policy.PermitLimit.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Remaining"] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
        if (decision.Allowed)
        {
            await next(context);
            return;
        }
        metrics.RateLimited(policy.Name);
        await problems.WriteProblemAsync(context, StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited, "Too many requests.",
            $"The limit is {policy.PermitLimit} requests per {policy.Window.TotalSeconds:0.#} s; the next one is allowed in {ProblemDetailsExtensions.RetryAfterSeconds(decision.RetryAfter)} s.",
            retryAfter: decision.RetryAfter);
    }
}
