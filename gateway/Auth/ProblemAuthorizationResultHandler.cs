using AgentFleet.Gateway.Telemetry;
using AgentFleet.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace AgentFleet.Gateway.Auth;

/// <summary>
/// Refusals as ProblemDetails: 401 <c>unauthorized</c> with no key, 403 <c>invalid_key</c> for an unknown or revoked
/// one, 403 <c>insufficient_role</c> for a role below the route's, 503 when the key could not be checked, 429 when the
/// client has sent too many invalid keys.
/// </summary>
public sealed class ProblemAuthorizationResultHandler(IProblemDetailsService problems, GatewayMetrics metrics) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (result.Succeeded)
        {
            await _default.HandleAsync(next, context, policy, result);
            return;
        }
        var feature = context.Features.Get<KeyFailureFeature>();
        var failure = feature?.Failure;
        var (status, code, title, detail) = (result.Challenged, failure) switch
        {
            (true, KeyFailure.TooManyFailures) => (StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited, "Too many invalid API keys.",
                "This client sent too many keys that are unknown or revoked; keys from it are not checked until the wait is over."),
            (true, KeyFailure.Unavailable) => (StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable, "The key could not be checked.",
                "The service that holds the API keys did not answer; try again shortly."),
            (true, KeyFailure.Invalid) => (StatusCodes.Status403Forbidden, ProblemCodes.InvalidKey, "The API key is not valid.",
                "The key is unknown or has been revoked."),
            (true, _) => (StatusCodes.Status401Unauthorized, ProblemCodes.Unauthorized, "An API key is required.",
                "Send your key as Authorization: Bearer <key> or X-API-Key: <key>."),
            _ => (StatusCodes.Status403Forbidden, ProblemCodes.InsufficientRole, "The key's role does not allow this.",
                $"This route needs the {policy.Requirements.OfType<Microsoft.AspNetCore.Authorization.Infrastructure.RolesAuthorizationRequirement>().FirstOrDefault()?.AllowedRoles.First() ?? "a valid"} role or higher."),
        };
        if (failure is null)
        {
            metrics.AuthFailed(status == StatusCodes.Status401Unauthorized ? "missing" : "role");
        }
        else if (failure == KeyFailure.Invalid)
        {
            metrics.AuthFailed("invalid");
        }
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }
        await problems.WriteProblemAsync(context, status, code, title, detail, retryAfter: feature?.RetryAfter);
    }
}
