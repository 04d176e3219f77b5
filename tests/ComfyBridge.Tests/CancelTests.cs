using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.ComfyBridge.ComfyUi;
using AgentFleet.ComfyBridge.Tests.Fixtures;
using AgentFleet.Gateway.Tests.Fixtures;
using AgentFleet.Testing;

namespace AgentFleet.ComfyBridge.Tests;

/// <summary>DELETE /v1/comfyui/workflow/{id}: that workflow only, whether it waits in ComfyUI's queue or runs.</summary>
public sealed class CancelTests(PostgresFixture postgres) : BridgeTest(postgres, TimeSpan.FromMilliseconds(200))
{
    private HttpClient _comfyHttp = null!;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _comfyHttp = new HttpClient { BaseAddress = new Uri(Comfy.Url) };
    }

    [Fact]
    public async Task CancellingAQueuedWorkflowRemovesItFromComfyUisQueueAndCancellingTheRunningOneInterruptsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = Bridge.Client("alice");
        var comfy = new ComfyUiClient(_comfyHttp);
        var running = await Bridge.SubmitAsync(client, Workflows.TextToImage(steps: 40), ct);
        var waiting = await Bridge.SubmitAsync(client, Workflows.TextToImage(steps: 2), ct);
        var runningView = await Bridge.WaitAsync(client, running, v => v["progress"] is JsonObject, ct);
        var waitingPrompt = (await Bridge.GetAsync(client, waiting, ct))["promptId"]!.GetValue<string>();
        Assert.Contains(waitingPrompt, (await comfy.GetQueueAsync(ct)).Pending);

        using var cancelWaiting = await client.DeleteAsync($"/v1/comfyui/workflow/{waiting}", ct);
        Assert.Equal(HttpStatusCode.OK, cancelWaiting.StatusCode);
        Assert.Equal("cancelled", (await cancelWaiting.Content.ReadFromJsonAsync<JsonObject>(ct))!["status"]!.GetValue<string>());
        Assert.DoesNotContain(waitingPrompt, (await comfy.GetQueueAsync(ct)).Pending);
        // The other one was not touched.
        Assert.Equal("running", (await Bridge.GetAsync(client, running, ct))["status"]!.GetValue<string>());

        using var cancelRunning = await client.DeleteAsync($"/v1/comfyui/workflow/{running}", ct);
        Assert.Equal("cancelled", (await cancelRunning.Content.ReadFromJsonAsync<JsonObject>(ct))!["status"]!.GetValue<string>());
        var history = await comfy.GetHistoryAsync(runningView["promptId"]!.GetValue<string>(), ct);
        Assert.Contains("execution_interrupted", history!["status"]!["messages"]!.ToJsonString());
        var events = await SseClient.ReadAllAsync(client, $"/v1/comfyui/workflow/{running}/events", null, ct);
        Assert.Equal("workflow:cancelled", events[^1].Name);
        Assert.True(events.Count(e => e.Name == "workflow:progress") < 40);

        using var again = await client.DeleteAsync($"/v1/comfyui/workflow/{running}", ct);
        await Problem.AssertAsync(again, HttpStatusCode.Conflict, "already_finished");
        Assert.Null(await comfy.GetHistoryAsync(waitingPrompt, ct));
    }

    public override async ValueTask DisposeAsync()
    {
        _comfyHttp.Dispose();
        await base.DisposeAsync();
    }
}
