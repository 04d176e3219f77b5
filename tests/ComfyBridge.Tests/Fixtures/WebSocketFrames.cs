using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace AgentFleet.ComfyBridge.Tests.Fixtures;

/// <summary>Reading the bridge's WebSocket stream as a client does.</summary>
public static class WebSocketFrames
{
    /// <summary>Every frame until the server closes (each small enough to arrive in one receive).</summary>
    public static async Task<List<(WebSocketMessageType Type, byte[] Bytes)>> ReadUntilCloseAsync(ClientWebSocket socket, CancellationToken ct)
    {
        var frames = new List<(WebSocketMessageType, byte[])>();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return frames;
            }
            frames.Add((result.MessageType, buffer[..result.Count]));
        }
    }

    /// <summary>The next text frame as JSON; fails after 30 s.</summary>
    public static async Task<JsonObject> ReceiveAsync(ClientWebSocket socket, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var buffer = new byte[64 * 1024];
        var result = await socket.ReceiveAsync(buffer, timeout.Token);
        return JsonNode.Parse(buffer.AsSpan(0, result.Count))!.AsObject();
    }
}
