using System.Text;
using AgentFleet.ServiceDefaults.Tests.Fixtures;
using AgentFleet.Testing;
using Microsoft.AspNetCore.TestHost;

namespace AgentFleet.ServiceDefaults.Tests;

public sealed class OtlpExportTests
{
    [Fact]
    public async Task TracesAndMetricsReachTheOtlpEndpointWhenTheServiceStops()
    {
        await using var otlp = await OtlpReceiver.StartAsync();
        await RunAndStopAsync(otlp, "otlp-probe", "/alive");

        var received = otlp.Bodies;
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
        await using var otlp = await OtlpReceiver.StartAsync();
        await RunAndStopAsync(otlp, null, "/health", "/ready", "/metrics", "/alive");

        var traces = Encoding.UTF8.GetString(otlp.Bodies["/v1/traces"]);
        Assert.Contains("GET /alive", traces);
        Assert.DoesNotContain("GET /health", traces);
        Assert.DoesNotContain("GET /ready", traces);
        Assert.DoesNotContain("GET /metrics", traces);
    }

    /// <summary>
    /// A service exporting to <paramref name="otlp"/> over OTLP/HTTP, asked for each path, then stopped: stopping
    /// flushes, since the batch exporter's 5 s and the metric reader's 60 s intervals never elapse here.
    /// </summary>
    private static async Task RunAndStopAsync(OtlpReceiver otlp, string? serviceName, params string[] paths)
    {
        var ct = TestContext.Current.CancellationToken;
        var settings = new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        };
        if (serviceName is not null)
        {
            settings["OTEL_SERVICE_NAME"] = serviceName;
        }
        var app = await TestApp.StartAsync(_ => { }, settings);
        using (var client = app.GetTestClient())
        {
            foreach (var path in paths)
            {
                (await client.GetAsync(path, ct)).Dispose();
            }
        }
        await app.StopAsync(ct);
        await app.DisposeAsync();
    }
}
