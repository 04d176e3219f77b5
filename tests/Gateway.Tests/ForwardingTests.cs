using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.Gateway.Tests.Fixtures;

namespace AgentFleet.Gateway.Tests;

public sealed class ForwardingTests(GatewayFixture fleet)
{
    private const long TwoHundredMegabytes = 200L * 1024 * 1024;

    [Fact]
    public async Task TwoHundredMegabytesStreamUpAndDownInFlatMemory()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, key) = await fleet.CreateKeyAsync("operator", ct);
        using var client = fleet.Client(key);
        client.Timeout = TimeSpan.FromMinutes(3);
        await using var memory = new PeakMemory(fleet.Gateway.Pid);

        var content = new StreamContent(new PatternStream(TwoHundredMegabytes));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using (var upload = await client.PostAsync("/test/upload", content, ct))
        {
            var body = await upload.Content.ReadFromJsonAsync<JsonObject>(ct);
            Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
            Assert.Equal(TwoHundredMegabytes, body!["bytes"]!.GetValue<long>());
        }

        using (var download = await client.GetAsync($"/test/download?bytes={TwoHundredMegabytes}", HttpCompletionOption.ResponseHeadersRead, ct))
        {
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal(TwoHundredMegabytes, download.Content.Headers.ContentLength);
            await using var stream = await download.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer, ct)) > 0)
            {
                total += read;
            }
            Assert.Equal(TwoHundredMegabytes, total);
        }
        // Buffering either body would cost the gateway at least 200 MB; streaming costs it a few buffers.
        Assert.True(memory.Growth < 64L * 1024 * 1024, $"the gateway grew by {memory.Growth / (1024 * 1024)} MB (from {memory.Baseline / (1024 * 1024)} MB)");
    }

    [Fact]
    public async Task AServiceThatIsDownIs502AndOneTooSlowIs504()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, key) = await fleet.CreateKeyAsync("operator", ct);
        using var client = fleet.Client(key);
        await Problem.AssertAsync(await client.GetAsync("/down/anything", ct), HttpStatusCode.BadGateway, "bad_gateway");
        var slow = await Problem.AssertAsync(await client.GetAsync("/test/slow", ct), HttpStatusCode.GatewayTimeout, "timeout");
        Assert.Contains("2 s", slow["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task AClientThatGoesAwayCancelsTheCallToTheService()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, key) = await fleet.CreateKeyAsync("operator", ct);
        using var client = fleet.Client(key);
        var id = Guid.NewGuid().ToString("N");
        using var impatient = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var call = client.GetAsync($"/test/slow?id={id}", impatient.Token);
        var arrival = DateTime.UtcNow.AddSeconds(10);
        while (!fleet.Backend.HasStarted(id) && DateTime.UtcNow < arrival)
        {
            await Task.Delay(10, ct);
        }
        Assert.True(fleet.Backend.HasStarted(id), "the call never reached the service");
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        // Well before the route's 2 s timeout would have ended it.
        var deadline = DateTime.UtcNow.AddSeconds(1.5);
        while (!fleet.Backend.WasCancelled(id) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct);
        }
        Assert.True(fleet.Backend.WasCancelled(id), "the service's call went on after the client left");
    }

    [Fact]
    public async Task ABodyOverTheRoutesLimitIs413()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, key) = await fleet.CreateKeyAsync("operator", ct);
        using var client = fleet.Client(key);
        using (var fits = await client.PostAsync("/small/upload", new ByteArrayContent(new byte[1024]), ct))
        {
            Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        }
        // As careful clients send large uploads (curl does past 1 MB): with Expect: 100-continue, a body the gateway
        // refuses is never sent, and the refusal cannot be lost to a connection reset while the client is still sending.
        using var declared = new HttpRequestMessage(HttpMethod.Post, "/small/upload") { Content = new ByteArrayContent(new byte[1025]) };
        declared.Headers.ExpectContinue = true;
        await Problem.AssertAsync(await client.SendAsync(declared, ct), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        // Without a declared length, the limit is found while streaming.
        var chunked = new StreamContent(new PatternStream(2 * 1024));
        chunked.Headers.ContentLength = null;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/small/upload") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.ExpectContinue = true;
        await Problem.AssertAsync(await client.SendAsync(request, ct), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task AClusterConfiguredForHttp2IsCalledOverHttp2()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, key) = await fleet.CreateKeyAsync("operator", ct);
        using var client = fleet.Client(key);
        var seen = await client.GetFromJsonAsync<JsonObject>("/h2/headers", ct);
        Assert.Equal("HTTP/2", seen!["protocol"]!.GetValue<string>());
    }

    [Fact]
    public async Task ACorsPreflightFromAConfiguredOriginIsAnsweredWithoutAKey()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fleet.Client(null);
        using var allowed = new HttpRequestMessage(HttpMethod.Options, "/v1/sessions");
        allowed.Headers.Add("Origin", GatewayFixture.AllowedOrigin);
        allowed.Headers.Add("Access-Control-Request-Method", "POST");
        allowed.Headers.Add("Access-Control-Request-Headers", "authorization, content-type");
        using var answer = await client.SendAsync(allowed, ct);
        Assert.True(answer.IsSuccessStatusCode, answer.StatusCode.ToString());
        Assert.Equal(GatewayFixture.AllowedOrigin, answer.Headers.GetValues("Access-Control-Allow-Origin").Single());

        using var other = new HttpRequestMessage(HttpMethod.Options, "/v1/sessions");
        other.Headers.Add("Origin", "https://elsewhere.example");
        other.Headers.Add("Access-Control-Request-Method", "POST");
        using var refused = await client.SendAsync(other, ct);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task DocsBrowseEachServicesOpenApiDocument()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fleet.Client(null);
        var page = await client.GetStringAsync("/docs/index.html", ct);
        Assert.Contains("swagger", page, StringComparison.OrdinalIgnoreCase);
        var management = await client.GetFromJsonAsync<JsonObject>("/docs/management-api/openapi.json", ct);
        Assert.True(management!["paths"]!.AsObject().ContainsKey("/v1/sessions"));
        Assert.True(management["paths"]!.AsObject().ContainsKey("/v1/keys"));
        // Error answers are declared: a client generated from the document knows the ProblemDetails it may get.
        var create = management["paths"]!["/v1/sessions"]!["post"]!["responses"]!.AsObject();
        foreach (var status in new[] { "400", "403", "409", "415", "429", "503" })
        {
            Assert.True(create[status]?["content"]?["application/problem+json"] is not null, $"{status}: {create.ToJsonString()}");
        }
        var proxy = await client.GetFromJsonAsync<JsonObject>("/docs/zai-proxy/openapi.json", ct);
        Assert.True(proxy!["paths"]!.AsObject().ContainsKey("/v1/messages"));
        await Problem.AssertAsync(await client.GetAsync("/docs/nothing/openapi.json", ct), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task AConfigurationNamingAnUnknownClusterOrPolicyStopsTheStartWithTheReason()
    {
        var ct = TestContext.Current.CancellationToken;
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => fleet.StartGatewayAsync(new()
        {
            ["ReverseProxy__Routes__broken__ClusterId"] = "nowhere",
            ["ReverseProxy__Routes__broken__Match__Path"] = "/broken",
            ["ReverseProxy__Routes__sloppy__ClusterId"] = "backend",
            ["ReverseProxy__Routes__sloppy__Match__Path"] = "/sloppy",
            ["ReverseProxy__Routes__sloppy__AuthorizationPolicy"] = "operater",
            ["ReverseProxy__Routes__sloppy__RateLimiterPolicy"] = "strict",
        }, ct));
        Assert.Contains("Route 'broken': cluster 'nowhere' is not defined", failure.Message);
        Assert.Contains("Route 'sloppy': authorization policy 'operater'", failure.Message);
        Assert.Contains("Route 'sloppy': rate limiter policy 'strict' is not defined", failure.Message);
    }
}
