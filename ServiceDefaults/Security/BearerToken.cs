using Microsoft.AspNetCore.Http;

namespace AgentFleet.ServiceDefaults.Security;

/// <summary>The token of an <c>Authorization: Bearer ...</c> header, as every service that takes keys reads it.</summary>
public static class BearerToken
{
    /// <summary>The token, trimmed; null when the header is absent, another scheme, or empty.</summary>
    public static string? Read(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header[7..].Trim() is { Length: > 0 } token ? token : null;
    }
}
