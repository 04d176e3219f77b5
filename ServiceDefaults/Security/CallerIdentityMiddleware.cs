using AgentFleet.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFleet.ServiceDefaults.Security;

/// <summary>
/// Refuses every request to a service's API that does not carry an identity signed by the gateway, so reaching a
/// service port directly grants nothing. Health, metrics and the OpenAPI document stay open, as on the gateway;
/// gRPC calls between services are not behind it (see the README).
/// </summary>
public sealed class CallerIdentityMiddleware(RequestDelegate next, IdentitySigner signer)
{
    private static readonly string[] OpenPrefixes = ["/health", "/alive", "/ready", "/metrics", "/openapi"];

    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (IsOpen(path) || context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
        {
            return next(context);
        }
        if (signer.Verify(context.Request) is not { } identity)
        {
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

    /// <summary>Requires the gateway's signed caller identity on every API request (after <c>MapDefaultEndpoints</c>).</summary>
    public static IApplicationBuilder UseCallerIdentity(this IApplicationBuilder app) => app.UseMiddleware<CallerIdentityMiddleware>();
}
