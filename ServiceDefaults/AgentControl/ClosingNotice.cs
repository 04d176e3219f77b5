using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentFleet.ServiceDefaults.AgentControl;

/// <summary>
/// The agent-control port's last line to a client it closes (ManagementApi's, and the gateway's relay in front of it):
/// <c>{"jsonrpc": "2.0", "method": "notifications/fleet/closing", "params": {"reason": "..."}}</c> and a newline.
/// </summary>
public static class ClosingNotice
{
    public static byte[] Line(string reason)
    {
        var notice = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["method"] = "notifications/fleet/closing",
            ["params"] = new JsonObject { ["reason"] = reason },
        };
        return [.. JsonSerializer.SerializeToUtf8Bytes(notice), (byte)'\n'];
    }
}
