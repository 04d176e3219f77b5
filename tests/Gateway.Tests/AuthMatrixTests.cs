using System.Net;
using System.Net.Http.Json;
using AgentFleet.Gateway.Tests.Fixtures;

namespace AgentFleet.Gateway.Tests;

public sealed class AuthMatrixTests(GatewayFixture fleet)
{
    public static readonly TheoryData<string, string, string> Routes = new()
    {
        // method, path, the lowest role that passes
        { "GET", "/v1/sessions", "viewer" },
        { "POST", "/v1/sessions", "operator" },
        { "GET", "/v1/status", "viewer" },
        { "GET", "/v1/keys/self", "viewer" },
        { "GET", "/v1/keys", "admin" },
        { "POST", "/v1/keys", "admin" },
        { "GET", "/v1/approvals", "viewer" },
        { "POST", "/v1/templates", "operator" },
        { "POST", "/llm/v1/messages", "operator" },
        { "POST", "/llm/chat", "operator" },
        { "GET", "/v1/comfyui/models", "viewer" },
        { "POST", "/v1/comfyui/workflow", "operator" },
    };

    private static readonly string[] Roles = ["viewer", "operator", "admin"];

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task EveryRouteAnswers401WithoutAKey403ForABadKeyOrALowRoleAndPassesTheRightOne(string method, string path, string lowest)
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
                // Past the gateway: whatever the service says (200, 202, 400 for an empty body, 404 for what it lacks),
                // but never a refusal of the key or of the signature.
                var body = await response.Content.ReadAsStringAsync(ct);
                Assert.True(response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.BadGateway),
                    $"{role} {method} {path}: {(int)response.StatusCode} {body}");
            }
        }
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

    private static HttpRequestMessage Request(string method, string path) => new(new HttpMethod(method), path)
    {
        Content = method == "GET" ? null : JsonContent.Create(new { }),
    };
}
