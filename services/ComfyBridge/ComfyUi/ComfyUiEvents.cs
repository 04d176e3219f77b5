using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace AgentFleet.ComfyBridge.ComfyUi;

/// <summary>
/// One message from ComfyUI's WebSocket: a JSON <c>{type, data}</c> (<c>status</c>, <c>execution_start</c>,
/// <c>execution_cached</c>, <c>executing</c>, <c>progress</c>, <c>executed</c>, <c>execution_success</c>,
/// <c>execution_error</c>, <c>execution_interrupted</c>), or a binary preview image.
/// </summary>
public sealed record ComfyUiMessage(string Type, JsonObject Data, PreviewImage? Preview = null)
{
    public string? PromptId => Data["prompt_id"]?.GetValue<string>();
}

/// <summary>A preview frame: ComfyUI's 4-byte event type (1: preview image), 4-byte image type (1 JPEG, 2 PNG), then the image.</summary>
public sealed record PreviewImage(string ContentType, byte[] Bytes);

public static class ComfyUiEvents
{
    /// <summary>
    /// Connects to <c>/ws?clientId=</c> and yields its messages until the server closes or <paramref name="cancellationToken"/>
    /// ends it. Messages for prompts queued with this client id arrive here; <c>status</c> goes to everyone.
    /// </summary>
    public static async IAsyncEnumerable<ComfyUiMessage> ReadAsync(Uri server, string clientId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        // A GPU host that drops off the network leaves no close behind: unanswered pings end the connection instead.
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(15);
        socket.Options.KeepAliveTimeout = TimeSpan.FromSeconds(30);
        var scheme = server.Scheme == "https" ? "wss" : "ws";
        await socket.ConnectAsync(new Uri($"{scheme}://{server.Authority}/ws?clientId={Uri.EscapeDataString(clientId)}"), cancellationToken);
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (socket.State == WebSocketState.Open)
        {
            message.SetLength(0);
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, cancellationToken);
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                yield break;
            }
            if (Parse(result.MessageType, message.ToArray()) is { } parsed)
            {
                yield return parsed;
            }
        }
    }

    public static ComfyUiMessage? Parse(WebSocketMessageType kind, byte[] bytes)
    {
        if (kind == WebSocketMessageType.Binary)
        {
            if (bytes.Length < 8 || BinaryPrimitives.ReadUInt32BigEndian(bytes) != 1)
            {
                return null;
            }
            var contentType = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4)) == 2 ? "image/png" : "image/jpeg";
            return new ComfyUiMessage("preview", [], new PreviewImage(contentType, bytes[8..]));
        }
        return JsonNode.Parse(bytes) is JsonObject { } json && json["type"]?.GetValue<string>() is { } type
            ? new ComfyUiMessage(type, json["data"] as JsonObject ?? [])
            : null;
    }
}
