using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using AgentFleet.ManagementApi.Model;

namespace AgentFleet.ManagementApi.Services;

/// <summary>The wire forms of a session stream: Server-Sent Events and WebSocket text frames.</summary>
public sealed class SessionEventStreams(SessionStreamer streamer)
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(15);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    /// <summary>
    /// SSE: <c>id:</c> is the sequence, so a browser's automatic reconnect resumes with <c>Last-Event-ID</c>;
    /// stream notices carry no id and leave the resume point alone; a comment line every 15 s keeps proxies from
    /// closing an idle stream.
    /// </summary>
    public async Task WriteSseAsync(HttpResponse response, Guid sessionId, long after, CancellationToken cancellationToken)
    {
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var gate = new SemaphoreSlim(1, 1);
        async Task WriteAsync(string text)
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                await response.WriteAsync(text, cancellationToken);
                await response.Body.FlushAsync(cancellationToken);
            }
            finally
            {
                gate.Release();
            }
        }
        await WriteAsync(": stream open\n\n");
        using var heartbeat = new Timer(_ => _ = WriteAsync(": heartbeat\n\n").ContinueWith(t => _ = t.Exception, TaskScheduler.Default),
            null, HeartbeatInterval, HeartbeatInterval);
        await streamer.StreamAsync(sessionId, after,
            e => WriteAsync($"id: {e.Sequence}\nevent: {EventView.StreamName(e.Type)}\ndata: {JsonSerializer.Serialize(EventView.From(e), Json)}\n\n"),
            notice => WriteAsync($"event: agent:status\ndata: {JsonSerializer.Serialize(new { stream = notice.Source, message = notice.Message }, Json)}\n\n"),
            cancellationToken);
    }

    /// <summary>WebSocket: one JSON text frame per event (the event itself), notices as <c>{"type":"stream",...}</c>.</summary>
    public async Task WriteWebSocketAsync(WebSocket socket, Guid sessionId, long after, CancellationToken cancellationToken)
    {
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // The client's close (or a dropped connection) is seen by reading; nothing else is expected from it.
        var reading = Task.Run(async () =>
        {
            var buffer = new byte[1024];
            try
            {
                while (socket.State == WebSocketState.Open && (await socket.ReceiveAsync(buffer, closed.Token)).MessageType != WebSocketMessageType.Close)
                {
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
            closed.Cancel();
        }, CancellationToken.None);
        Task SendAsync(object value) =>
            socket.SendAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value, Json)), WebSocketMessageType.Text, true, closed.Token);
        try
        {
            await streamer.StreamAsync(sessionId, after,
                e => SendAsync(EventView.From(e)),
                notice => SendAsync(new { type = "stream", stream = notice.Source, message = notice.Message }),
                closed.Token);
            if (socket.State == WebSocketState.Open)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "session run ended", cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
        closed.Cancel();
        await reading;
    }
}
