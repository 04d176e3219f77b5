using System.Net;
using System.Net.Http.Json;
using AgentFleet.ComfyBridge.Tests.Fixtures;
using AgentFleet.Gateway.Tests.Fixtures;

namespace AgentFleet.Gateway.Tests;

public sealed class AuthMatrixTests(GatewayFixture fleet)
{
    public static readonly TheoryData<string, string, string, int> Routes = new()
    {
        // method, path, the lowest role that passes, and what the service answers it
        { "GET", "/v1/sessions", "viewer", 200 },
        { "POST", "/v1/sessions", "operator", 202 },
        { "GET", "/v1/status", "viewer", 200 },
        { "GET", "/v1/keys/self", "viewer", 200 },
        { "GET", "/v1/approvals", "viewer", 200 },
        { "GET", "/v1/templates", "viewer", 200 },
        { "GET", "/v1/usage", "viewer", 200 },
        { "GET", "/v1/keys", "admin", 200 },
        { "POST", "/v1/keys", "admin", 201 },
        { "POST", "/llm/v1/messages", "operator", 200 },
        { "POST", "/llm/chat", "operator", 200 },
        { "GET", "/v1/comfyui/models", "viewer", 200 },
        { "POST", "/v1/comfyui/workflow", "operator", 202 },
        // The MCP server: any key; each tool checks the role (a viewer's create_session is a tool error).
        { "POST", "/mcp", "viewer", 200 },
    };

    private static readonly string[] Roles = ["viewer", "operator", "admin"];

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task EveryRouteAnswers401WithoutAKey403ForABadKeyOrALowRoleAndPassesTheRightOne(string method, string path, string lowest, int success)
    {
        var ct = TestContext.Current.CancellationToken;
        using (var anonymous = fleet.Client(null))
        {
            await Problem.AssertAsync(await anonymous.SendAsync(Request(method, path), ct), HttpStatusCode.Unauthorized, "unauthorized");
        }
        using (var stranger = fleet.Client("fleet_not-a-key-anyone-was-given"))
        {
            await Problem.AssertAsync(await stranger.SendAsync(Request(method, path), ct), HttpStatusCode.Forbidden, "invalid_key");
        }
        foreach (var role in Roles)
        {
            var key = role == "admin" ? GatewayFixture.AdminKey : (await fleet.CreateKeyAsync(role, ct)).Key;
            using var client = fleet.Client(key);
            using var response = await client.SendAsync(Request(method, path), ct);
            if (Array.IndexOf(Roles, role) < Array.IndexOf(Roles, lowest))
            {
                await Problem.AssertAsync(response, HttpStatusCode.Forbidden, "insufficient_role");
            }
            else
            {
                // Past the gateway, signed as that caller: the service's own success.
                var body = await response.Content.ReadAsStringAsync(ct);
                Assert.True((int)response.StatusCode == success, $"{role} {method} {path}: {(int)response.StatusCode} {body}");
            }
        }
    }

    [Fact]
    public async Task TheBenchmarksBareRouteIsNotThereUnlessAskedFor()
    {
        // Gateway:BenchBareRoute passes forged identities along; a gateway not started for a benchmark has no such route.
        using var anonymous = fleet.Client(null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/keys/self");
        request.Headers.Add("X-Fleet-Bench-Bare", "1");
        using var response = await anonymous.SendAsync(request, TestContext.Current.CancellationToken);
        await Problem.AssertAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task HealthReadyMetricsAndTheLlmHealthNeedNoKey()
    {
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = fleet.Client(null);
        using (var refused = await anonymous.GetAsync("/v1/sessions", ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        foreach (var path in (string[])["/health", "/ready", "/metrics", "/llm/health"])
        {
            using var response = await anonymous.GetAsync(path, ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
        }
        var metrics = await anonymous.GetStringAsync("/metrics", ct);
        Assert.Contains("gateway_auth_failures_total{reason=\"missing\"}", metrics);
    }

    [Fact]
    public async Task TheKeyIsAcceptedInXApiKeyToo()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = fleet.Client(null);
        client.DefaultRequestHeaders.Add("X-API-Key", GatewayFixture.AdminKey);
        var self = await client.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>("/v1/keys/self", ct);
        Assert.Equal("admin", self!["role"]!.GetValue<string>());
    }

    private static HttpRequestMessage Request(string method, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "GET" ? null : JsonContent.Create(BodyFor(path)) };
        // Streamable HTTP answers a client that takes both JSON and an event stream.
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        return request;
    }

    /// <summary>A request each service accepts.</summary>
    private static object BodyFor(string path) => path switch
    {
        "/v1/sessions" => new { agent = "command", command = new[] { "true" }, task = "auth matrix" },
        "/v1/keys" => new { name = "auth matrix", role = "viewer" },
        "/llm/v1/messages" => new { model = "claude-sonnet-4-5", max_tokens = 16, messages = new[] { new { role = "user", content = "hi" } } },
        "/llm/chat" => new { prompt = "hi" },
        "/v1/comfyui/workflow" => new { workflow = Workflows.TextToImage() },
        "/mcp" => new { jsonrpc = "2.0", id = 1, method = "tools/list" },
        _ => new { },
    };
}
