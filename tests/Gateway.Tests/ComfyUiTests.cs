using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using AgentFleet.ComfyBridge.Tests.Fixtures;
using AgentFleet.Gateway.Tests.Fixtures;

namespace AgentFleet.Gateway.Tests;

/// <summary>ComfyUI workflows as a user reaches them: API keys at the gateway, ComfyBridge behind it, a ComfyUI test server behind that.</summary>
public sealed class ComfyUiTests(GatewayFixture fleet)
{
    [Fact]
    public async Task AnOperatorRunsAWorkflowThroughTheGatewayAndOnlyItsOwnerSeesItsProgressAndOutputs()
    {
        var ct = TestContext.Current.CancellationToken;
        var owner = $"studio-{Guid.NewGuid():N}";
        var (_, aliceKey) = await fleet.CreateKeyAsync("operator", ct, owner);
        var (_, aliceViewerKey) = await fleet.CreateKeyAsync("viewer", ct, owner);
        var (_, bobKey) = await fleet.CreateKeyAsync("operator", ct);
        using var alice = fleet.Client(aliceKey);
        using var aliceViewer = fleet.Client(aliceViewerKey);
        using var bob = fleet.Client(bobKey);

        await Problem.AssertAsync(await aliceViewer.PostAsJsonAsync("/v1/comfyui/workflow", new { workflow = Workflows.TextToImage() }, ct),
            HttpStatusCode.Forbidden, "insufficient_role");
        using var created = await alice.PostAsJsonAsync("/v1/comfyui/workflow", new { workflow = Workflows.TextToImage(steps: 3) }, ct);
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonObject>(ct))!["workflowId"]!.GetValue<string>();

        // The SSE stream through the gateway, to its end.
        using var stream = await alice.GetAsync($"/v1/comfyui/workflow/{id}/events", HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        var events = (await stream.Content.ReadAsStringAsync(ct)).Split('\n').Where(l => l.StartsWith("event: ")).Select(l => l[7..]).ToList();
        Assert.Equal(3, events.Count(e => e == "workflow:progress"));
        Assert.Equal("workflow:complete", events[^1]);

        var view = (await aliceViewer.GetFromJsonAsync<JsonObject>($"/v1/comfyui/workflow/{id}", ct))!;
        Assert.Equal("completed", view["status"]!.GetValue<string>());
        Assert.Equal(owner, view["owner"]!.GetValue<string>());
        var output = view["outputs"]![0]!.GetValue<string>();
        using (var file = await aliceViewer.GetAsync($"/v1/comfyui/outputs/{output}", ct))
        {
            Assert.Equal("image/png", file.Content.Headers.ContentType?.MediaType);
            Assert.Equal(ComfyUiServer.Png, await file.Content.ReadAsByteArrayAsync(ct));
        }

        // Bob learns nothing of it.
        await Problem.AssertAsync(await bob.GetAsync($"/v1/comfyui/workflow/{id}", ct), HttpStatusCode.NotFound, "not_found");
        await Problem.AssertAsync(await bob.GetAsync($"/v1/comfyui/workflow/{id}/events", ct), HttpStatusCode.NotFound, "not_found");
        await Problem.AssertAsync(await bob.DeleteAsync($"/v1/comfyui/workflow/{id}", ct), HttpStatusCode.NotFound, "not_found");
        await Problem.AssertAsync(await bob.GetAsync($"/v1/comfyui/outputs/{output}", ct), HttpStatusCode.NotFound, "not_found");
        var bobsOutputs = (await bob.GetFromJsonAsync<JsonObject>("/v1/comfyui/outputs", ct))!;
        Assert.DoesNotContain(bobsOutputs["items"]!.AsArray(), o => o!["name"]!.GetValue<string>() == output);
        await Problem.AssertAsync(await aliceViewer.DeleteAsync($"/v1/comfyui/workflow/{id}", ct), HttpStatusCode.Forbidden, "insufficient_role");
    }

    [Fact]
    public async Task TheWorkflowWebSocketStreamRunsThroughTheGatewayAndStatusReportsTheComfyUiServer()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, key) = await fleet.CreateKeyAsync("operator", ct);
        using var client = fleet.Client(key);
        using var created = await client.PostAsJsonAsync("/v1/comfyui/workflow", new { workflow = Workflows.TextToImage(steps: 2) }, ct);
        var id = (await created.Content.ReadFromJsonAsync<JsonObject>(ct))!["workflowId"]!.GetValue<string>();

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("X-API-Key", key);
        await socket.ConnectAsync(new Uri($"ws://{new Uri(fleet.Gateway.HttpUrl).Authority}/v1/comfyui/stream?workflowId={id}"), ct);
        var sequences = new List<long>();
        var types = new List<string>();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                break;
            }
            var message = JsonNode.Parse(buffer.AsSpan(0, result.Count))!;
            sequences.Add(message["sequence"]!.GetValue<long>());
            types.Add(message["type"]!.GetValue<string>());
        }
        Assert.Equal(Enumerable.Range(1, sequences.Count).Select(i => (long)i), sequences);
        Assert.Equal("complete", types[^1]);

        using var admin = fleet.Client(GatewayFixture.AdminKey);
        var status = (await admin.GetFromJsonAsync<JsonObject>("/v1/status", ct))!;
        Assert.Equal("available", status["comfyui"]!["status"]!.GetValue<string>());
        var server = Assert.Single(status["comfyui"]!["servers"]!.AsArray())!;
        Assert.Equal(fleet.ComfyUi.Url, server["url"]!.GetValue<string>());
        Assert.Equal(25_769_803_776L, server["gpus"]![0]!["vramTotalBytes"]!.GetValue<long>());
    }
}
