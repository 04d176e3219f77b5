using System.Globalization;
using System.Text.RegularExpressions;
using AgentFleet.ServiceDefaults.Tests.Fixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;

namespace AgentFleet.ServiceDefaults.Tests;

public sealed partial class PrometheusMetricsTests
{
    [Fact]
    public async Task MetricsPassPromtoolAndCountRequestsByMethodRouteAndStatus()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TestApp.StartAsync(app =>
            app.MapGet("/items/{id:int}", (int id) => id == 0 ? Results.NotFound() : Results.Ok(id)));
        using var client = app.GetTestClient();
        for (var i = 1; i <= 3; i++)
        {
            (await client.GetAsync($"/items/{i}", ct)).Dispose();
        }
        (await client.GetAsync("/items/0", ct)).Dispose();

        using var response = await client.GetAsync("/metrics", ct);
        var text = await response.Content.ReadAsStringAsync(ct);

        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(3, Count(text, "GET", "/items/{id:int}", "200"));
        Assert.Equal(1, Count(text, "GET", "/items/{id:int}", "404"));
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", text);
        Assert.Matches(BucketLine(), text);

        var (exitCode, output) = await Promtool.CheckMetricsAsync(text, ct);
        Assert.True(exitCode == 0, $"promtool check metrics failed ({exitCode}):\n{output}");
    }

    private static double Count(string exposition, string method, string route, string status)
    {
        var line = exposition.Split('\n').Single(l =>
            l.StartsWith("http_server_request_duration_seconds_count{", StringComparison.Ordinal)
            && l.Contains($"http_request_method=\"{method}\"") && l.Contains($"http_route=\"{route}\"")
            && l.Contains($"http_response_status_code=\"{status}\""));
        return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    [GeneratedRegex("""http_server_request_duration_seconds_bucket\{.*le="\+Inf"\} \d+""")]
    private static partial Regex BucketLine();
}
