using System.Collections.Concurrent;
using System.Text;
using AgentFleet.ServiceDefaults.Tests.Fixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentFleet.ServiceDefaults.Tests;

public sealed class OtlpExportTests
{
    [Fact]
    public async Task TracesAndMetricsReachTheOtlpEndpointWhenTheServiceStops()
    {
        var ct = TestContext.Current.CancellationToken;
        var received = new ConcurrentDictionary<string, byte[]>();
        await using var collector = await StartCollectorAsync(received);

        var app = await TestApp.StartAsync(_ => { }, new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = "otlp-probe",
        });
        using (var client = app.GetTestClient())
        {
            (await client.GetAsync("/alive", ct)).Dispose();
        }
        // Stopping flushes: the batch exporter's 5 s and the metric reader's 60 s intervals never elapse here.
        await app.StopAsync(ct);
        await app.DisposeAsync();

        Assert.Contains("/v1/traces", received.Keys);
        Assert.Contains("/v1/metrics", received.Keys);
        var traces = Encoding.UTF8.GetString(received["/v1/traces"]);
        Assert.Contains("otlp-probe", traces);
        Assert.Contains("GET /alive", traces);
        Assert.Contains("http.response.status_code", traces);
        Assert.Contains("http.server.request.duration", Encoding.UTF8.GetString(received["/v1/metrics"]));
    }

    [Fact]
    public async Task HealthPollsAndMetricScrapesAreNotTraced()
    {
        var ct = TestContext.Current.CancellationToken;
        var received = new ConcurrentDictionary<string, byte[]>();
        await using var collector = await StartCollectorAsync(received);

        var app = await TestApp.StartAsync(_ => { }, new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });
        using (var client = app.GetTestClient())
        {
            foreach (var path in new[] { "/health", "/ready", "/metrics", "/alive" })
            {
                (await client.GetAsync(path, ct)).Dispose();
            }
        }
        await app.StopAsync(ct);
        await app.DisposeAsync();

        var traces = Encoding.UTF8.GetString(received["/v1/traces"]);
        Assert.Contains("GET /alive", traces);
        Assert.DoesNotContain("GET /health", traces);
        Assert.DoesNotContain("GET /ready", traces);
        Assert.DoesNotContain("GET /metrics", traces);
    }

    /// <summary>A minimal OTLP/HTTP receiver: it keeps every protobuf body posted to each signal path, concatenated.</summary>
    private static async Task<WebApplication> StartCollectorAsync(ConcurrentDictionary<string, byte[]> received)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var collector = builder.Build();
        collector.MapPost("/v1/{signal}", async (HttpContext context, string signal) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            received.AddOrUpdate($"/v1/{signal}", body.ToArray(), (_, earlier) => [.. earlier, .. body.ToArray()]);
            return Results.Ok();
        });
        await collector.StartAsync(TestContext.Current.CancellationToken);
        return collector;
    }
}
