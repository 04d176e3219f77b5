using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentFleet.ComfyBridge.Tests.Fixtures;

/// <summary>A webhook receiver on loopback that records every delivery; the first <c>failFirst</c> get a 503.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _failuresLeft;

    public sealed record Delivery(DateTimeOffset At, IReadOnlyDictionary<string, string> Headers, byte[] Body, int AnsweredWith);

    private WebhookReceiver(WebApplication app, int failFirst)
    {
        _app = app;
        _failuresLeft = failFirst;
    }

    public ConcurrentQueue<Delivery> Deliveries { get; } = new();

    public string Url { get; private set; } = "";

    public static async Task<WebhookReceiver> StartAsync(int failFirst = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var url = $"http://127.0.0.1:{AgentFleet.Testing.PortAllocator.GetFreePort()}";
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, failFirst) { Url = url + "/hooks/comfy" };
        app.MapPost("/hooks/comfy", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            var status = Interlocked.Decrement(ref receiver._failuresLeft) >= 0 ? 503 : 204;
            receiver.Deliveries.Enqueue(new Delivery(DateTimeOffset.UtcNow, request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                body.ToArray(), status));
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
