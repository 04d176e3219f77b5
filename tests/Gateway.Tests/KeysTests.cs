using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.Gateway.Tests.Fixtures;

namespace AgentFleet.Gateway.Tests;

public sealed class KeysTests(GatewayFixture fleet)
{
    [Fact]
    public async Task AKeyIsShownOnceListedWithoutItsSecretAndRefusedWithinSecondsOfRevocation()
    {
        var ct = TestContext.Current.CancellationToken;
        var (id, key) = await fleet.CreateKeyAsync("operator", ct);
        Assert.StartsWith("fleet_", key);
        using var admin = fleet.Client(GatewayFixture.AdminKey);
        var listed = await admin.GetStringAsync("/v1/keys", ct);
        Assert.Contains(id, listed);
        Assert.DoesNotContain(key, listed);
        Assert.Contains(key[..12], listed);

        using var client = fleet.Client(key);
        using (var before = await client.GetAsync("/v1/sessions", ct))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }
        using (var revoke = await admin.DeleteAsync($"/v1/keys/{id}", ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }
        var revokedAt = DateTime.UtcNow;
        HttpResponseMessage response;
        do
        {
            response = await client.GetAsync("/v1/sessions", ct);
            if (response.StatusCode == HttpStatusCode.Forbidden)
            {
                break;
            }
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
            await Task.Delay(250, ct);
        }
        while (DateTime.UtcNow - revokedAt < TimeSpan.FromSeconds(15));
        await Problem.AssertAsync(response, HttpStatusCode.Forbidden, "invalid_key");
        var list = await admin.GetFromJsonAsync<JsonObject>("/v1/keys", ct);
        var revoked = list!["items"]!.AsArray().Single(k => k!["id"]!.GetValue<string>() == id)!;
        Assert.NotNull(revoked["revokedAt"]);
        Assert.NotNull(revoked["lastUsedAt"]);
    }

    [Fact]
    public async Task BadKeyRequestsAreProblemsAndOnlyAdminsManageKeys()
    {
        var ct = TestContext.Current.CancellationToken;
        using var admin = fleet.Client(GatewayFixture.AdminKey);
        await Problem.AssertAsync(await admin.PostAsJsonAsync("/v1/keys", new { name = "x", role = "root" }, ct), HttpStatusCode.BadRequest, "validation_failed");
        await Problem.AssertAsync(await admin.PostAsJsonAsync("/v1/keys", new { role = "viewer" }, ct), HttpStatusCode.BadRequest, "validation_failed");
        await Problem.AssertAsync(await admin.PostAsJsonAsync("/v1/keys", new { name = "x", role = "viewer", owner = "../etc" }, ct), HttpStatusCode.BadRequest, "validation_failed");
        await Problem.AssertAsync(await admin.DeleteAsync($"/v1/keys/{Guid.NewGuid()}", ct), HttpStatusCode.NotFound, "not_found");

        var (_, operatorKey) = await fleet.CreateKeyAsync("operator", ct);
        using var operatorClient = fleet.Client(operatorKey);
        await Problem.AssertAsync(await operatorClient.PostAsJsonAsync("/v1/keys", new { name = "mine", role = "admin" }, ct), HttpStatusCode.Forbidden, "insufficient_role");
    }
}
