using System.Security.Cryptography;
using System.Text;

namespace AgentFleet.ComfyBridge.Webhooks;

/// <summary>
/// How a webhook is signed: <c>X-Fleet-Signature: sha256=&lt;hex HMAC-SHA256 of "{timestamp}.{body}"&gt;</c> with the
/// timestamp (Unix seconds) in <c>X-Fleet-Timestamp</c>, so a receiver can check both who sent it and how old it is.
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-Fleet-Signature";
    public const string TimestampHeader = "X-Fleet-Timestamp";
    public const string EventHeader = "X-Fleet-Event";
    public const string DeliveryHeader = "X-Fleet-Delivery";

    public static string Compute(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        var signed = new byte[timestamp.Length + 1 + body.Length];
        Encoding.ASCII.GetBytes(timestamp, signed);
        signed[timestamp.Length] = (byte)'.';
        body.CopyTo(signed.AsSpan(timestamp.Length + 1));
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    /// <summary>What a receiver does: recompute and compare in constant time.</summary>
    public static bool Verify(string secret, string timestamp, ReadOnlySpan<byte> body, string signature) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Compute(secret, timestamp, body)), Encoding.ASCII.GetBytes(signature));
}
