using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using AgentFleet.ComfyBridge.Model;

namespace AgentFleet.ComfyBridge.Jobs;

/// <summary>
/// The wire forms of job events. JSON: <c>{workflowId, sequence, type, data, createdAt}</c>. SSE: <c>id:</c> is the
/// sequence (so <c>Last-Event-ID</c> resumes), <c>event:</c> is <c>workflow:&lt;type&gt;</c>, heartbeat comments every 15 s.
/// </summary>
public static class JobEventWire
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(15);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static byte[] ToJson(JobEvent e) => JsonSerializer.SerializeToUtf8Bytes(
        new { workflowId = e.WorkflowId, sequence = e.Sequence, type = e.Type, data = e.Data, createdAt = e.CreatedAt }, Json);

    public static async Task WriteSseAsync(HttpResponse response, JobStreamer streamer, Guid jobId, long after, CancellationToken cancellationToken)
    {
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var gate = new SemaphoreSlim(1, 1);
        async ValueTask Write(string text, bool flush)
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
                if (flush)
                {
                    await response.Body.FlushAsync(cancellationToken);
                }
            }
            finally
            {
                gate.Release();
            }
        }
        await Write(": stream open\n\n", flush: true);
        using var heartbeat = new Timer(_ => _ = Write(": heartbeat\n\n", flush: true).AsTask().ContinueWith(t => _ = t.Exception, TaskScheduler.Default),
            null, HeartbeatInterval, HeartbeatInterval);
        await streamer.StreamAsync(jobId, after,
            e => Write($"id: {e.Sequence}\nevent: workflow:{e.Type}\ndata: {Encoding.UTF8.GetString(ToJson(e))}\n\n", flush: false),
            () => Write("", flush: true), cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="stream"/> until it ends or the client closes; then closes the socket. With
    /// <paramref name="previews"/>, preview images go out between events as binary frames in ComfyUI's own layout
    /// (big-endian event type 1, image type 1 JPEG or 2 PNG, then the image), so a ComfyUI client's parser reads them.
    /// </summary>
    public static async Task RunWebSocketAsync(WebSocket socket, Func<Func<JobEvent, ValueTask>, CancellationToken, Task> stream,
        System.Threading.Channels.ChannelReader<ComfyUi.PreviewImage>? previews, CancellationToken cancellationToken)
    {
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // One send at a time: events and previews share the socket.
        var sending = new SemaphoreSlim(1, 1);
        async ValueTask Send(ReadOnlyMemory<byte> frame, WebSocketMessageType type)
        {
            await sending.WaitAsync(closed.Token);
            try
            {
                await socket.SendAsync(frame, type, true, closed.Token);
            }
            finally
            {
                sending.Release();
            }
        }
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
            await closed.CancelAsync();
        }, CancellationToken.None);
        // Stopped on its own when the stream ends: cancelling the pending receive would abort the socket before its close.
        using var relayStop = CancellationTokenSource.CreateLinkedTokenSource(closed.Token);
        var relaying = previews is null ? Task.CompletedTask : Task.Run(async () =>
        {
            try
            {
                await foreach (var preview in previews.ReadAllAsync(relayStop.Token))
                {
                    var frame = new byte[8 + preview.Bytes.Length];
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame, 1);
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), preview.ContentType == "image/png" ? 2u : 1u);
                    preview.Bytes.CopyTo(frame, 8);
                    await Send(frame, WebSocketMessageType.Binary);
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
        }, CancellationToken.None);
        try
        {
            await stream(e => Send(ToJson(e), WebSocketMessageType.Text), closed.Token);
            await relayStop.CancelAsync();
            await relaying;
            if (socket.State == WebSocketState.Open)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "workflow ended", cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
        await closed.CancelAsync();
        await relaying;
        await reading;
    }
}
