using System.Collections.Concurrent;
using AgentFleet.Testing.Otlp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentFleet.Testing;

/// <summary>One span as a trace viewer lists it: the service that sent it, its trace, its name.</summary>
public sealed record ReceivedSpan(string Service, string TraceId, string SpanId, string ParentSpanId, string Name);

/// <summary>
/// An OTLP/HTTP (protobuf) receiver on a free loopback port, standing in for the dashboard's collector: it keeps every
/// body posted to each signal's path (concatenated), and every span read from them.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly ConcurrentDictionary<string, byte[]> _bodies = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    public string Endpoint => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    /// <summary>What was posted to each path (<c>/v1/traces</c>, <c>/v1/metrics</c>, <c>/v1/logs</c>), bodies concatenated.</summary>
    public IReadOnlyDictionary<string, byte[]> Bodies => _bodies;

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var receiver = new OtlpReceiver(builder.Build());
        receiver._app.MapPost("/v1/{signal}", async (HttpContext context, string signal) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            receiver._bodies.AddOrUpdate($"/v1/{signal}", body.ToArray(), (_, earlier) => [.. earlier, .. body.ToArray()]);
            if (signal == "traces")
            {
                receiver.Add(ExportTraceServiceRequest.Parser.ParseFrom(body.ToArray()));
            }
            return Results.Ok();
        });
        await receiver._app.StartAsync();
        return receiver;
    }

    private void Add(ExportTraceServiceRequest request)
    {
        foreach (var resource in request.ResourceSpans)
        {
            var service = resource.Resource?.Attributes.FirstOrDefault(a => a.Key == "service.name")?.Value?.StringValue ?? "";
            foreach (var span in resource.ScopeSpans.SelectMany(s => s.Spans))
            {
                _spans.Enqueue(new ReceivedSpan(service, Convert.ToHexStringLower(span.TraceId.Span), Convert.ToHexStringLower(span.SpanId.Span),
                    Convert.ToHexStringLower(span.ParentSpanId.Span), span.Name));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
