using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.Gateway.Tests.Fixtures;

namespace AgentFleet.Gateway.Tests;

public sealed class OwnershipTests(GatewayFixture fleet)
{
    private static readonly object LongCommand = new { agent = "command", command = new[] { "sleep", "30" }, task = "wait" };

    [Fact]
    public async Task AnotherOperatorsSessionIs404AndAViewerCannotStopEvenItsOwnersSession()
    {
        var ct = TestContext.Current.CancellationToken;
        var owner = $"team-{Guid.NewGuid():N}";
        var (_, aliceKey) = await fleet.CreateKeyAsync("operator", ct, owner);
        var (_, aliceViewerKey) = await fleet.CreateKeyAsync("viewer", ct, owner);
        var (_, bobKey) = await fleet.CreateKeyAsync("operator", ct);
        using var alice = fleet.Client(aliceKey);
        using var aliceViewer = fleet.Client(aliceViewerKey);
        using var bob = fleet.Client(bobKey);
        using var admin = fleet.Client(GatewayFixture.AdminKey);

        using var created = await alice.PostAsJsonAsync("/v1/sessions", LongCommand, ct);
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonObject>(ct))!["sessionId"]!.GetValue<string>();

        // Bob learns nothing: not its status, not its stream, not that it exists; he cannot stop it.
        await Problem.AssertAsync(await bob.GetAsync($"/v1/sessions/{id}", ct), HttpStatusCode.NotFound, "not_found");
        await Problem.AssertAsync(await bob.GetAsync($"/v1/sessions/{id}/events", ct), HttpStatusCode.NotFound, "not_found");
        await Problem.AssertAsync(await bob.GetAsync($"/v1/sessions/{id}/messages", ct), HttpStatusCode.NotFound, "not_found");
        await Problem.AssertAsync(await bob.DeleteAsync($"/v1/sessions/{id}", ct), HttpStatusCode.NotFound, "not_found");
        var bobsList = await bob.GetFromJsonAsync<JsonObject>("/v1/sessions", ct);
        Assert.DoesNotContain(bobsList!["items"]!.AsArray(), s => s!["sessionId"]!.GetValue<string>() == id);

        // A viewer of the same owner sees it, but cannot stop it.
        var seen = await aliceViewer.GetFromJsonAsync<JsonObject>($"/v1/sessions/{id}", ct);
        Assert.Equal(owner, seen!["owner"]!.GetValue<string>());
        await Problem.AssertAsync(await aliceViewer.DeleteAsync($"/v1/sessions/{id}", ct), HttpStatusCode.Forbidden, "insufficient_role");
        await Problem.AssertAsync(await aliceViewer.PostAsync($"/v1/sessions/{id}/pause", null, ct), HttpStatusCode.Forbidden, "insufficient_role");

        // The admin sees everyone's; the owner stops it.
        var all = await admin.GetFromJsonAsync<JsonObject>("/v1/sessions?limit=500", ct);
        Assert.Contains(all!["items"]!.AsArray(), s => s!["sessionId"]!.GetValue<string>() == id);
        using var stopped = await alice.DeleteAsync($"/v1/sessions/{id}", ct);
        Assert.Equal(HttpStatusCode.OK, stopped.StatusCode);
    }
}
