using System.Net;
using System.Text.Json;
using AgentFleet.ServiceDefaults.Tests.Fixtures;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentFleet.ServiceDefaults.Tests;

public sealed class HealthReportTests
{
    [Fact]
    public async Task ACheckThatThrowsIsUnhealthyWithoutTheExceptionsText()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TestApp.StartAsync(_ => { }, configureServices: services => services.AddHealthChecks()
            .AddCheck("exploding", () => throw new InvalidOperationException("Password=hunter2 leaked"), ["ready"]));
        using var client = app.GetTestClient();

        using var response = await client.GetAsync("/health", ct);
        var text = await response.Content.ReadAsStringAsync(ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var body = JsonDocument.Parse(text);
        var check = body.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "exploding");
        Assert.Equal("Unhealthy", check.GetProperty("status").GetString());
        Assert.Equal("check failed", check.GetProperty("description").GetString());
        Assert.DoesNotContain("hunter2", text);
    }
}
