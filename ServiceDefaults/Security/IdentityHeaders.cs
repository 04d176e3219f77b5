namespace AgentFleet.ServiceDefaults.Security;

/// <summary>The headers the gateway adds to every request it forwards for an authenticated caller.</summary>
public static class IdentityHeaders
{
    /// <summary>Every header under this prefix is the gateway's to set; it removes any that arrive from outside.</summary>
    public const string Prefix = "X-Fleet-";
    public const string KeyId = "X-Fleet-Key-Id";
    public const string Owner = "X-Fleet-Owner";
    public const string Role = "X-Fleet-Role";
    public const string Issued = "X-Fleet-Issued";
    public const string Signature = "X-Fleet-Signature";
}
