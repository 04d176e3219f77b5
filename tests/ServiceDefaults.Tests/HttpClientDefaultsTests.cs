using System.Net;
using AgentFleet.ServiceDefaults.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentFleet.ServiceDefaults.Tests;

/// <summary>The HttpClients every service gets from ServiceDefaults, against a server whose first answer to each path is a 503.</summary>
public sealed class HttpClientDefaultsTests
{
    [Fact]
    public async Task ASafeRequestIsRetriedAnUnsafeOneIsNotAndAClientTakenOutSeesTheFailureAsItCame()
    {
        var ct = TestContext.Current.CancellationToken;
        var calls = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var server = WebApplication.CreateSlimBuilder();
        server.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        server.Logging.ClearProviders();
        await using var app = server.Build();
        app.Map("/{name}", (string name) => calls.AddOrUpdate(name, 1, (_, n) => n + 1) == 1 ? Results.StatusCode(503) : Results.Ok());
        await app.StartAsync(ct);

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["services:flaky:http:0"] = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        builder.AddServiceDefaults();
        builder.Services.AddHttpClient("plain", c => c.BaseAddress = new Uri("http://flaky"));
        builder.Services.AddHttpClient("raw", c => c.BaseAddress = new Uri("http://flaky")).WithoutResilience();
        using var host = builder.Build();
        var clients = host.Services.GetRequiredService<IHttpClientFactory>();

        // Resolved by service discovery; the 503 is retried and the caller sees the 200.
        using (var get = await clients.CreateClient("plain").GetAsync("/get", ct))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        }
        using (var post = await clients.CreateClient("plain").PostAsync("/post", null, ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, post.StatusCode);
        }
        using (var raw = await clients.CreateClient("raw").GetAsync("/raw", ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, raw.StatusCode);
        }
        Assert.Equal(2, calls["get"]);
        Assert.Equal(1, calls["post"]);
        Assert.Equal(1, calls["raw"]);
    }
}
