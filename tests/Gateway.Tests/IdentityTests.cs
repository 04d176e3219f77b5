using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.Gateway.Tests.Fixtures;
using AgentFleet.ServiceDefaults.Security;

namespace AgentFleet.Gateway.Tests;

public sealed class IdentityTests(GatewayFixture fleet)
{
    [Fact]
    public async Task IdentityHeadersSentFromOutsideAreReplacedByTheGateway()
    {
        var ct = TestContext.Current.CancellationToken;
        var (id, key) = await fleet.CreateKeyAsync("viewer", ct);
        using var client = fleet.Client(key);
        // A viewer dressing up as the admin, signature and all.
        var forged = new IdentitySigner("a guess at the secret");
        forged.Sign(new CallerIdentity("admin", "admin", CallerRole.Admin), "GET", "/v1/keys", (name, value) => client.DefaultRequestHeaders.TryAddWithoutValidation(name, value));

        var self = await client.GetFromJsonAsync<JsonObject>("/v1/keys/self", ct);
        Assert.Equal(id, self!["keyId"]!.GetValue<string>());
        Assert.Equal("viewer", self["role"]!.GetValue<string>());
        await Problem.AssertAsync(await client.GetAsync("/v1/keys", ct), HttpStatusCode.Forbidden, "insufficient_role");
    }

    [Fact]
    public async Task AServiceCalledDirectlyWithoutAValidSignatureRefusesTheRequest()
    {
        var ct = TestContext.Current.CancellationToken;
        using var direct = new HttpClient { BaseAddress = new Uri(fleet.Api.HttpUrl) };
        await Problem.AssertAsync(await direct.GetAsync("/v1/sessions", ct), HttpStatusCode.Unauthorized, "unauthorized");

        // The admin key itself means nothing to a service: only the gateway's signature does.
        direct.DefaultRequestHeaders.Add("X-API-Key", GatewayFixture.AdminKey);
        var wrongSecret = new IdentitySigner("not the shared secret");
        wrongSecret.Sign(new CallerIdentity("admin", "admin", CallerRole.Admin), "GET", "/v1/sessions", (name, value) => direct.DefaultRequestHeaders.TryAddWithoutValidation(name, value));
        await Problem.AssertAsync(await direct.GetAsync("/v1/sessions", ct), HttpStatusCode.Unauthorized, "unauthorized");

        // Signed with the right secret but for another path: not transferable.
        using var replay = new HttpClient { BaseAddress = new Uri(fleet.Api.HttpUrl) };
        new IdentitySigner(GatewayFixture.IdentitySecret).Sign(new CallerIdentity("admin", "admin", CallerRole.Admin), "GET", "/v1/status",
            (name, value) => replay.DefaultRequestHeaders.TryAddWithoutValidation(name, value));
        await Problem.AssertAsync(await replay.GetAsync("/v1/keys", ct), HttpStatusCode.Unauthorized, "unauthorized");

        // ZaiProxy too: a forged identity is not a caller.
        using var proxy = new HttpClient { BaseAddress = new Uri(fleet.Proxy.HttpUrl) };
        wrongSecret.Sign(new CallerIdentity("admin", "admin", CallerRole.Admin), "POST", "/chat", (name, value) => proxy.DefaultRequestHeaders.TryAddWithoutValidation(name, value));
        using var chat = await proxy.PostAsJsonAsync("/chat", new { prompt = "hello" }, ct);
        Assert.Equal(HttpStatusCode.Unauthorized, chat.StatusCode);

        // And ComfyBridge: neither no signature nor a forged one reaches its workflows.
        using var bridge = new HttpClient { BaseAddress = new Uri(fleet.Bridge.HttpUrl) };
        await Problem.AssertAsync(await bridge.GetAsync("/v1/comfyui/outputs", ct), HttpStatusCode.Unauthorized, "unauthorized");
        wrongSecret.Sign(new CallerIdentity("admin", "admin", CallerRole.Admin), "POST", "/v1/comfyui/workflow", (name, value) => bridge.DefaultRequestHeaders.TryAddWithoutValidation(name, value));
        using var submit = await bridge.PostAsJsonAsync("/v1/comfyui/workflow", new { workflow = new { } }, ct);
        await Problem.AssertAsync(submit, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task TheServiceSeesForwardedHeadersSetByTheGatewayAndNeverTheKey()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, key) = await fleet.CreateKeyAsync("operator", ct);
        using var client = fleet.Client(key);
        client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.9");
        client.DefaultRequestHeaders.Add("X-Custom", "kept");
        var seen = await client.GetFromJsonAsync<JsonObject>("/test/headers?x=1", ct);
        var headers = seen!["headers"]!.AsObject();
        Assert.Equal("/headers", seen["path"]!.GetValue<string>());
        Assert.Equal("?x=1", seen["query"]!.GetValue<string>());
        Assert.Equal("127.0.0.1", headers["x-forwarded-for"]!.GetValue<string>());
        Assert.Equal("http", headers["x-forwarded-proto"]!.GetValue<string>());
        Assert.Equal(new Uri(fleet.Gateway.HttpUrl).Authority, headers["x-forwarded-host"]!.GetValue<string>());
        Assert.Equal("kept", headers["x-custom"]!.GetValue<string>());
        Assert.Equal("operator", headers["x-fleet-role"]!.GetValue<string>());
        Assert.False(headers.ContainsKey("authorization"));
        Assert.False(headers.ContainsKey("x-api-key"));
    }
}
