using System.Net;
using AgentFleet.Gateway.Configuration;
using AgentFleet.Gateway.Telemetry;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ServiceDefaults.Security;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using System.Threading.RateLimiting;

namespace AgentFleet.Gateway.RateLimiting;

/// <summary>
/// ASP.NET Core's rate limiter with one policy per <c>RateLimiting:Policies</c> entry a route names (YARP sets each
/// route's <c>RateLimiterPolicy</c> on its endpoint). A policy partitions by API key, or by client IP where there is
/// none, and each partition is a <see cref="SharedBucketLimiter"/>. Runs after authentication, so a caller is counted
/// by key wherever it connects from. A stream (SSE, WebSocket) is one request: it is counted when it opens.
/// </summary>
public static class RateLimiterSetup
{
    public static IServiceCollection AddGatewayRateLimiter(this IServiceCollection services, IReadOnlyList<ProxyRoute> routes)
    {
        services.AddHttpContextAccessor();
        services.AddRateLimiter(options =>
        {
            foreach (var policy in routes.Select(r => r.RateLimit).OfType<RateLimitPolicy>().DistinctBy(p => p.Name, StringComparer.OrdinalIgnoreCase))
            {
                var partitions = new Partitions(policy);
                options.AddPolicy(PolicyName(policy), partitions.For);
            }
            options.OnRejected = RejectAsync;
        });
        return services;
    }

    /// <summary>
    /// The name a policy is registered under: YARP reserves "default" (the global limiter) and "disable", and the fleet's
    /// own default policy is called default, so every configured name is registered under a prefix.
    /// </summary>
    public static string PolicyName(RateLimitPolicy policy) => "fleet:" + policy.Name.ToLowerInvariant();

    /// <summary>
    /// A policy's partitions. Every request asks for its partition, so what does not change between requests (the
    /// limiter factory and its singletons, the loopback exemption) is looked up once, on the first.
    /// </summary>
    private sealed class Partitions(RateLimitPolicy policy)
    {
        private Func<string, RateLimiter>? _factory;
        private bool _exemptLoopback;

        public RateLimitPartition<string> For(HttpContext context)
        {
            var factory = _factory ?? Initialize(context.RequestServices);
            var client = context.Connection.RemoteIpAddress;
            if (_exemptLoopback && client is not null && IPAddress.IsLoopback(client))
            {
                return RateLimitPartition.GetNoLimiter("loopback");
            }
            var partition = context.Features.Get<CallerIdentity>() is { } caller ? $"key:{caller.KeyId}" : $"ip:{client}";
            return RateLimitPartition.Get(partition, factory);
        }

        private Func<string, RateLimiter> Initialize(IServiceProvider services)
        {
            var buckets = services.GetRequiredService<GatewayRateLimiter>();
            var accessor = services.GetRequiredService<IHttpContextAccessor>();
            _exemptLoopback = services.GetRequiredService<IOptions<RateLimitingConfig>>().Value.ExemptLoopback;
            return _factory = key => new SharedBucketLimiter(buckets, key, policy, accessor);
        }
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        if (rejected.Lease is not SharedBucketLimiter.BucketLease { Policy: var policy } lease)
        {
            return;
        }
        var context = rejected.HttpContext;
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        context.RequestServices.GetRequiredService<GatewayMetrics>().RateLimited(policy.Name);
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteProblemAsync(context, StatusCodes.Status429TooManyRequests,
            ProblemCodes.RateLimited, "Too many requests.",
            $"The limit is {policy.PermitLimit} requests per {policy.Window.TotalSeconds:0.#} s; the next one is allowed in {ProblemDetailsExtensions.RetryAfterSeconds(retryAfter)} s.",
            retryAfter: retryAfter);
    }
}
