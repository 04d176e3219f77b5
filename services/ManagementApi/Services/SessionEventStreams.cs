using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace AgentFleet.ManagementApi.Services;

/// <summary>The wire forms of a session stream: Server-Sent Events and WebSocket text frames.</summary>
public sealed class SessionEventStreams(SessionStreamer streamer)
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(15);

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
        var sink = new SseSink(response, cancellationToken);
        await sink.WriteNowAsync(": stream open\n\n"u8.ToArray());
        using var heartbeat = new Timer(_ => _ = sink.WriteNowAsync(": heartbeat\n\n"u8.ToArray()).AsTask().ContinueWith(t => _ = t.Exception, TaskScheduler.Default),
            null, HeartbeatInterval, HeartbeatInterval);
        await streamer.StreamAsync(sessionId, after, sink, cancellationToken);
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
        try
        {
            await streamer.StreamAsync(sessionId, after, new WebSocketSink(socket, closed.Token), closed.Token);
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

    /// <summary>Events are copied into the response's buffer and sent on flush; heartbeats share the writer, so a gate orders them.</summary>
    private sealed class SseSink(HttpResponse response, CancellationToken cancellationToken) : ISessionStreamSink
    {
        private readonly SemaphoreSlim _gate = new(1, 1);

        public async ValueTask WriteEventAsync(StreamedEvent streamedEvent)
        {
            await _gate.WaitAsync(cancellationToken);
            try
            {
                response.BodyWriter.Write<byte>(streamedEvent.Sse);
            }
            finally
            {
                _gate.Release();
            }
        }

        public ValueTask WriteNoticeAsync(StreamNotice notice) =>
            WriteNowAsync(Encoding.UTF8.GetBytes($"event: agent:status\ndata: {JsonSerializer.Serialize(new { stream = notice.Source, message = notice.Message }, StreamedEvent.JsonOptions)}\n\n"));

        public async ValueTask FlushAsync()
        {
            await _gate.WaitAsync(cancellationToken);
            try
            {
                await response.BodyWriter.FlushAsync(cancellationToken);
            }
            finally
            {
                _gate.Release();
            }
        }

        public async ValueTask WriteNowAsync(byte[] frame)
        {
            await _gate.WaitAsync(cancellationToken);
            try
            {
                response.BodyWriter.Write<byte>(frame);
                await response.BodyWriter.FlushAsync(cancellationToken);
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <summary>A WebSocket message is sent whole, so each event goes out as it is written; flushing adds nothing.</summary>
    private sealed class WebSocketSink(WebSocket socket, CancellationToken cancellationToken) : ISessionStreamSink
    {
        public ValueTask WriteEventAsync(StreamedEvent streamedEvent) =>
            socket.SendAsync(streamedEvent.Json.AsMemory(), WebSocketMessageType.Text, true, cancellationToken);

        public ValueTask WriteNoticeAsync(StreamNotice notice) =>
            socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(new { type = "stream", stream = notice.Source, message = notice.Message }, StreamedEvent.JsonOptions).AsMemory(),
                WebSocketMessageType.Text, true, cancellationToken);

        public ValueTask FlushAsync() => ValueTask.CompletedTask;
    }
}
