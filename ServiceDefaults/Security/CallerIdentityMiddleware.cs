using AgentFleet.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFleet.ServiceDefaults.Security;

/// <summary>
/// Refuses every request to a service that does not carry an identity signed with the shared secret: by the gateway
/// for a user's call, by the calling service for gRPC between services. Reaching a service port directly grants
/// nothing. Health, metrics, the OpenAPI document and the gRPC health service stay open.
/// </summary>
public sealed class CallerIdentityMiddleware(RequestDelegate next, IdentitySigner signer, bool grpcOnly)
{
    private static readonly string[] OpenPrefixes = ["/health", "/alive", "/ready", "/metrics", "/openapi", "/grpc.health.v1.Health"];

    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        var grpc = context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;
        if (IsOpen(path) || (grpcOnly && !grpc))
        {
            return next(context);
        }
        if (signer.Verify(context.Request) is not { } identity)
        {
            if (grpc)
            {
                // Trailers-only, as a gRPC server answers a call it refuses: status 16, UNAUTHENTICATED.
                context.Response.ContentType = "application/grpc";
                context.Response.Headers["grpc-status"] = "16";
                context.Response.Headers["grpc-message"] = "The call carries no valid signed identity.";
                return Task.CompletedTask;
            }
            throw new ProblemException(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthorized, "Not signed by the gateway.",
                "This service answers requests forwarded by the gateway, which signs the caller's identity; this request carries no valid signature.",
                "Call the gateway with your API key instead.");
        }
        context.Features.Set(identity);
        return next(context);
    }

    private static bool IsOpen(PathString path)
    {
        foreach (var prefix in OpenPrefixes)
        {
            if (path.StartsWithSegments(prefix))
            {
                return true;
            }
        }
        return false;
    }
}

public static class CallerIdentityExtensions
{
    /// <summary>Registers the <see cref="IdentitySigner"/> (secret from <c>Identity:Secret</c>).</summary>
    public static IServiceCollection AddIdentitySigner(this IServiceCollection services)
    {
        services.AddSingleton<IdentitySigner>(provider => new IdentitySigner(provider.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()));
        return services;
    }

    /// <summary>
    /// Requires a signed caller identity on every request but health and metrics (after <c>MapDefaultEndpoints</c>);
    /// with <paramref name="grpcOnly"/>, only on gRPC calls, for a service whose HTTP API authenticates its callers itself.
    /// </summary>
    public static IApplicationBuilder UseCallerIdentity(this IApplicationBuilder app, bool grpcOnly = false) => app.UseMiddleware<CallerIdentityMiddleware>(grpcOnly);
}
