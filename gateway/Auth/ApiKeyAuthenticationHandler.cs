using System.Security.Claims;
using System.Text.Encodings.Web;
using AgentFleet.Gateway.Telemetry;
using AgentFleet.ServiceDefaults.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace AgentFleet.Gateway.Auth;

/// <summary>Why a request with a key was not authenticated, for the answer the result handler writes.</summary>
public enum KeyFailure
{
    Invalid,
    Unavailable,
    TooManyFailures,
}

/// <summary>
/// Reads the key from <c>Authorization: Bearer</c> or <c>X-API-Key</c>. No key: no result, and a route that needs one
/// answers 401. A key that is unknown or revoked fails, and the route answers 403.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyResolver resolver, GatewayMetrics metrics)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (ReadKey(Request) is not { } key)
        {
            return AuthenticateResult.NoResult();
        }
        CallerIdentity? identity;
        try
        {
            identity = await resolver.ResolveAsync(key, Context.Connection.RemoteIpAddress, Context.RequestAborted);
        }
        catch (TooManyFailedKeysException e)
        {
            Context.Features.Set(new KeyFailureFeature(KeyFailure.TooManyFailures, e.RetryAfter));
            metrics.AuthFailed("throttled");
            return AuthenticateResult.Fail(e);
        }
        catch (KeyServiceUnavailableException e)
        {
            Context.Features.Set(new KeyFailureFeature(KeyFailure.Unavailable));
            metrics.AuthFailed("unavailable");
            return AuthenticateResult.Fail(e);
        }
        if (identity is null)
        {
            Context.Features.Set(new KeyFailureFeature(KeyFailure.Invalid));
            return AuthenticateResult.Fail("The API key is unknown or revoked.");
        }
        Context.Features.Set(identity);
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, identity.KeyId), new Claim(ClaimTypes.Role, CallerIdentity.RoleName(identity.Role))], SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    public static string? ReadKey(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization.Length > 7)
        {
            return authorization[7..].Trim();
        }
        return request.Headers["X-API-Key"].ToString() is { Length: > 0 } key ? key.Trim() : null;
    }
}

public sealed record KeyFailureFeature(KeyFailure Failure, TimeSpan? RetryAfter = null);
