using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace AgentFleet.Gateway.Tests.Fixtures;

/// <summary>
/// A plain HTTP service the test gateway also routes to, for what the product's services have no endpoint for:
/// 200 MB bodies each way, an answer that comes too late, a header echo, a WebSocket echo, and an HTTP/2-only port.
/// </summary>
public sealed class Backend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private Backend(WebApplication app, string url, string h2Url)
    {
        _app = app;
        Url = url;
        H2Url = h2Url;
    }

    private readonly System.Collections.Concurrent.ConcurrentBag<string> _started = [];
    private readonly System.Collections.Concurrent.ConcurrentBag<string> _cancelled = [];

    public string Url { get; }

    /// <summary>Whether the call to <c>/slow?id=</c><paramref name="id"/> has arrived.</summary>
    public bool HasStarted(string id) => _started.Contains(id);

    /// <summary>Whether the call to <c>/slow?id=</c><paramref name="id"/> ended because its caller went away.</summary>
    public bool WasCancelled(string id) => _cancelled.Contains(id);

    /// <summary>Cleartext HTTP/2 only (prior knowledge), so an HTTP/1.1 request there fails.</summary>
    public string H2Url { get; }

    public static async Task<Backend> StartAsync()
    {
        var url = $"http://127.0.0.1:{AgentFleet.Testing.PortAllocator.GetFreePort()}";
        var h2Url = $"http://127.0.0.1:{AgentFleet.Testing.PortAllocator.GetFreePort()}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(System.Net.IPAddress.Loopback, new Uri(url).Port);
            kestrel.Listen(System.Net.IPAddress.Loopback, new Uri(h2Url).Port, listen => listen.Protocols = HttpProtocols.Http2);
        });
        var app = builder.Build();
        app.UseWebSockets();
        app.MapPost("/upload", CountAsync);
        app.MapGet("/download", DownloadAsync);
        var backend = new Backend(app, url, h2Url);
        app.MapGet("/slow", async (string? id, CancellationToken ct) =>
        {
            backend._started.Add(id ?? "");
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(30), ct);
            }
            catch (OperationCanceledException)
            {
                backend._cancelled.Add(id ?? "");
                throw;
            }
            return "late";
        });
        app.MapGet("/headers", (HttpRequest request) => Results.Json(new
        {
            protocol = request.Protocol,
            path = request.Path.Value,
            query = request.QueryString.Value,
            headers = request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
        }));
        app.Map("/echo", EchoAsync);
        await app.StartAsync();
        return backend;
    }

    private static async Task<IResult> CountAsync(HttpRequest request, CancellationToken ct)
    {
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await request.Body.ReadAsync(buffer, ct)) > 0)
        {
            total += read;
        }
        return Results.Json(new { bytes = total });
    }

    private static async Task DownloadAsync(HttpContext context, long bytes)
    {
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = bytes;
        var chunk = new byte[64 * 1024];
        for (long sent = 0; sent < bytes; sent += chunk.Length)
        {
            await context.Response.Body.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, bytes - sent)), context.RequestAborted);
        }
    }

    /// <summary>Sends each message back; answers a close with the same code and reason.</summary>
    private static async Task EchoAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, context.RequestAborted);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(result.CloseStatus!.Value, result.CloseStatusDescription, context.RequestAborted);
                return;
            }
            await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, context.RequestAborted);
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
