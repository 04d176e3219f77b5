using System.Security.Claims;

namespace AgentFleet.Console.Auth;

/// <summary>
/// The person signed in: the API key they pasted (kept only inside the encrypted, HttpOnly cookie and the server's
/// memory, never sent to the browser), and what the fleet said of it. The console acts with exactly that key.
/// </summary>
public sealed record ConsoleUser(string Key, string KeyId, string Owner, string Role)
{
    public const string KeyClaim = "fleet:key";
    public const string OwnerClaim = "fleet:owner";

    /// <summary>Operators and admins start, steer and decide; viewers only look.</summary>
    public bool CanWrite => Role is "operator" or "admin";

    public bool IsAdmin => Role == "admin";

    public ClaimsPrincipal ToPrincipal() => new(new ClaimsIdentity(
        [
            new Claim(KeyClaim, Key),
            new Claim(ClaimTypes.NameIdentifier, KeyId),
            new Claim(OwnerClaim, Owner),
            new Claim(ClaimTypes.Role, Role),
        ], ConsoleAuth.Scheme));

    public static ConsoleUser? From(ClaimsPrincipal? principal) =>
        principal?.FindFirstValue(KeyClaim) is { } key
            ? new ConsoleUser(key, principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? "", principal.FindFirstValue(OwnerClaim) ?? "", principal.FindFirstValue(ClaimTypes.Role) ?? "viewer")
            : null;
}
