using AgentFleet.Gateway.AgentControl;
using AgentFleet.Gateway.Auth;
using AgentFleet.Gateway.Configuration;
using AgentFleet.Gateway.Forwarding;
using AgentFleet.Gateway.RateLimiting;
using AgentFleet.Gateway.Routing;
using AgentFleet.Gateway.Telemetry;
using AgentFleet.ServiceDefaults.Grpc;
using AgentFleet.ManagementApi.Contracts;
using AgentFleet.ServiceDefaults.Data;
using AgentFleet.ServiceDefaults.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace AgentFleet.Gateway.Extensions;

internal static class Extensions
{
    public const string ResourceName = "gateway";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        // Checked now, all at once: the gateway does not start on a configuration that would leave a door open.
        var routes = GatewayConfigLoader.Load(configuration);
        if (configuration["Identity:Secret"] is not { Length: > 0 })
        {
            throw new InvalidOperationException("Identity:Secret is not set: the gateway signs callers' identities with the secret the services share (Identity__Secret).");
        }
        if (configuration["MANAGEMENT_API_KEY"] is not { Length: > 0 })
        {
            throw new InvalidOperationException("MANAGEMENT_API_KEY is not set: it is the admin key, with which the other keys are made.");
        }

        builder.AddFleetRedis("redis");
        builder.AddAgentControlRelay();
        builder.Services.AddSingleton(routes);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<GatewayMetrics>();
        builder.Services.AddIdentitySigner();

        builder.Services.AddServiceGrpcClient<ManagementApiGrpc.ManagementApiClient>("management-api", ResourceName);
        builder.Services.AddSingleton<ApiKeyResolver>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddGatewayAuthorization();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();

        builder.Services.Configure<RateLimitingConfig>(configuration.GetSection(RateLimitingConfig.Section));
        builder.Services.AddSingleton<RedisTokenBucket>();
        builder.Services.AddSingleton<TokenLeases>();
        builder.Services.AddSingleton<LocalTokenBuckets>();
        builder.Services.AddSingleton<GatewayRateLimiter>();
        builder.Services.AddGatewayRateLimiter(routes);

        // YARP: the checked routes as its configuration, one pooled client per cluster (YARP's defaults: no proxy, no
        // redirects, no decompression, no cookies, several HTTP/2 connections when one runs out of streams).
        var proxyRoutes = new ProxyRoutes(routes, GatewayConfigLoader.GrpcPort(configuration), configuration.GetValue<bool>("Gateway:BenchBareRoute"));
        builder.Services.AddSingleton(proxyRoutes);
        builder.Services.AddReverseProxy()
            .LoadFromMemory(proxyRoutes.Routes, proxyRoutes.Clusters)
            .ConfigureHttpClient((_, handler) =>
            {
                handler.ConnectTimeout = TimeSpan.FromSeconds(5);
                handler.PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2);
            })
            .AddTransforms<FleetTransforms>()
            .AddServiceDiscoveryDestinationResolver();
        builder.Services.AddSingleton<ForwardingFailures>();
        // For /docs, which fetches each service's OpenAPI document itself.
        builder.Services.AddSingleton(new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(5) }, disposeHandler: true));

        if (configuration.GetSection("Cors:Origins").Get<string[]>() is { Length: > 0 } origins)
        {
            builder.Services.AddCors(options => options.AddDefaultPolicy(policy => policy
                .WithOrigins(origins).AllowAnyHeader().AllowAnyMethod().AllowCredentials()
                .WithExposedHeaders("Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "Location")));
        }
    }

    /// <summary>CORS before routing: a preflight is answered here and never reaches authentication or the limiter.</summary>
    public static WebApplication UseGatewayCors(this WebApplication app)
    {
        if (app.Configuration.GetSection("Cors:Origins").Get<string[]>() is { Length: > 0 })
        {
            app.UseCors();
        }
        return app;
    }

    public static WebApplication UseGatewayRateLimiting(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }
}
