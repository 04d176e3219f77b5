using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using AgentFleet.ComfyBridge.ComfyUi;
using AgentFleet.ComfyBridge.Tests.Fixtures;
using AgentFleet.ComfyBridge.Webhooks;
using AgentFleet.Testing;

namespace AgentFleet.ComfyBridge.Tests;

/// <summary>
/// Several bridges on one database, one Redis and the same ComfyUI: each workflow is followed by one bridge, the one
/// that submitted it, until that one is gone; any replica answers for, streams and cancels any workflow.
/// </summary>
public sealed class ReplicaTests(PostgresFixture postgres) : IAsyncLifetime
{
    private readonly List<Bridge> _bridges = [];
    private LocalServer _redis = null!;
    private ComfyUiServer _comfy = null!;
    private HttpClient _comfyHttp = null!;
    private WebhookReceiver _hooks = null!;

    public async ValueTask InitializeAsync()
    {
        _redis = await LocalServer.StartRedisAsync(CancellationToken.None);
        _comfy = await ComfyUiServer.StartAsync();
        _comfy.StepDelay = TimeSpan.FromMilliseconds(100);
        _comfyHttp = new HttpClient { BaseAddress = new Uri(_comfy.Url) };
        _hooks = await WebhookReceiver.StartAsync();
    }

    [Fact]
    public async Task WorkflowsSubmittedThroughEitherReplicaAllCompleteEachFollowedByOneBridge()
    {
        var ct = TestContext.Current.CancellationToken;
        var a = await StartReplicaAsync("bridge-a");
        List<Guid> all = [];
        for (var i = 0; i < 2; i++)
        {
            all.Add(await Bridge.SubmitAsync(a.Client(), Workflows.TextToImage(steps: 8), ct, _hooks.Url));
        }
        // B starts while A's workflows are in flight, and must leave them to A.
        var b = await StartReplicaAsync("bridge-b", beside: a);
        for (var i = 0; i < 2; i++)
        {
            all.Add(await Bridge.SubmitAsync(b.Client(), Workflows.TextToImage(steps: 8), ct, _hooks.Url));
        }

        foreach (var (id, index) in all.Select((id, i) => (id, i)))
        {
            // Asked through the replica that did not submit it.
            var view = await Bridge.WaitAsync((index < 2 ? b : a).Client(), id, v => v["webhookStatus"]?.GetValue<string>() == "delivered", ct);
            Assert.Equal("completed", view["status"]!.GetValue<string>());
            Assert.Equal(1, view["attempts"]!.GetValue<int>());
            await AssertFollowedOnceAsync(b.Client(), id, "workflow:complete", ct);
        }
        // ComfyUI got each prompt once, from the bridge that submitted it, each bridge under its own client id.
        Assert.Equal(all.Select(id => id.ToString()), _comfy.Queued.Select(q => q.PromptId));
        Assert.Equal(["agent-fleet-bridge-a", "agent-fleet-bridge-a", "agent-fleet-bridge-b", "agent-fleet-bridge-b"], _comfy.Queued.Select(q => q.ClientId));
        Assert.Equal(all.Select(id => id.ToString()).Order(), _hooks.Deliveries.Select(d => d.Headers[WebhookSignature.DeliveryHeader]).Order());
    }

    [Fact]
    public async Task AWorkflowSubmittedThroughOneReplicaStreamsLiveWithItsPreviewsThroughTheOther()
    {
        var ct = TestContext.Current.CancellationToken;
        var a = await StartReplicaAsync("bridge-a");
        var b = await StartReplicaAsync("bridge-b", beside: a);
        // The caller-wide stream carries live events only, with no history behind it: what reaches it on B came through Redis.
        using var everything = await b.ConnectWebSocketAsync("/v1/comfyui/stream", "alice", ct);
        var id = await Bridge.SubmitAsync(a.Client(), Workflows.TextToImage(steps: 10), ct);
        using var one = await b.ConnectWebSocketAsync($"/v1/comfyui/stream?workflowId={id}&since=0&previews=true", "alice", ct);

        var frames = await WebSocketFrames.ReadUntilCloseAsync(one, ct);
        var followed = frames.Where(f => f.Type == WebSocketMessageType.Text).Select(f => JsonNode.Parse(f.Bytes)!.AsObject()).ToList();
        Assert.Equal(Enumerable.Range(1, followed.Count).Select(i => (long)i), followed.Select(e => e["sequence"]!.GetValue<long>()));
        Assert.Equal("complete", followed[^1]["type"]!.GetValue<string>());
        // Previews are never stored: B could only have them live from A.
        Assert.Contains(frames, f => f.Type == WebSocketMessageType.Binary && f.Bytes.AsSpan(8).SequenceEqual(ComfyUiServer.Png));

        var live = new List<JsonObject>();
        while (live.Count == 0 || live[^1]["type"]!.GetValue<string>() != "complete")
        {
            live.Add(await WebSocketFrames.ReceiveAsync(everything, ct));
        }
        Assert.Equal(followed.Count, live.Count);
        Assert.All(followed.Zip(live), pair => Assert.True(JsonNode.DeepEquals(pair.First, pair.Second), $"{pair.First} arrived live as {pair.Second}"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CancellingThroughAReplicaThatDoesNotFollowTheWorkflowEndsItCancelledWhetherItWaitsOrRuns(bool withRedis)
    {
        var ct = TestContext.Current.CancellationToken;
        var a = await StartReplicaAsync("bridge-a", redis: withRedis);
        var b = await StartReplicaAsync("bridge-b", beside: a, redis: withRedis);
        var viaA = a.Client();
        var viaB = b.Client();
        var comfy = new ComfyUiClient(_comfyHttp);
        var running = await Bridge.SubmitAsync(viaA, Workflows.TextToImage(steps: 100), ct, _hooks.Url);
        var waiting = await Bridge.SubmitAsync(viaA, Workflows.TextToImage(steps: 2), ct);
        await Bridge.WaitAsync(viaB, running, v => v["progress"] is JsonObject, ct);
        Assert.Contains(waiting.ToString(), (await comfy.GetQueueAsync(ct)).Pending);

        using var cancelWaiting = await viaB.DeleteAsync($"/v1/comfyui/workflow/{waiting}", ct);
        Assert.Equal(HttpStatusCode.OK, cancelWaiting.StatusCode);
        Assert.Equal("cancelled", (await cancelWaiting.Content.ReadFromJsonAsync<JsonObject>(ct))!["status"]!.GetValue<string>());
        Assert.DoesNotContain(waiting.ToString(), (await comfy.GetQueueAsync(ct)).Pending);
        Assert.Equal("running", (await Bridge.GetAsync(viaB, running, ct))["status"]!.GetValue<string>());

        using var cancelRunning = await viaB.DeleteAsync($"/v1/comfyui/workflow/{running}", ct);
        Assert.Equal(HttpStatusCode.OK, cancelRunning.StatusCode);
        Assert.Equal("cancelled", (await cancelRunning.Content.ReadFromJsonAsync<JsonObject>(ct))!["status"]!.GetValue<string>());
        Assert.Contains("execution_interrupted", (await comfy.GetHistoryAsync(running.ToString(), ct))!["status"]!["messages"]!.ToJsonString());
        await AssertFollowedOnceAsync(viaB, running, "workflow:cancelled", ct);
        await AssertFollowedOnceAsync(viaB, waiting, "workflow:cancelled", ct);
        // The bridge that follows it delivers its webhook, as for a cancel it received itself.
        var view = await Bridge.WaitAsync(viaB, running, v => v["webhookStatus"]?.GetValue<string>() == "delivered", ct);
        Assert.Equal("cancelled", view["status"]!.GetValue<string>());
        Assert.Equal("workflow.cancelled", Assert.Single(_hooks.Deliveries).Headers[WebhookSignature.EventHeader]);
    }

    [Fact]
    public async Task WhenAReplicaIsKilledAnotherTakesOverItsWorkflowOnceItsLeaseRunsOutAndFinishesItOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var a = await StartReplicaAsync("bridge-a");
        var b = await StartReplicaAsync("bridge-b", beside: a);
        var id = await Bridge.SubmitAsync(a.Client(), Workflows.TextToImage(steps: 30), ct, _hooks.Url);
        await Bridge.WaitAsync(b.Client(), id, v => v["progress"]?["value"]?.GetValue<int>() >= 2, ct);

        await a.KillAsync();

        var client = b.Client();
        var done = await Bridge.WaitAsync(client, id, v => v["webhookStatus"]?.GetValue<string>() == "delivered", ct);
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        Assert.Equal(1, done["attempts"]!.GetValue<int>());
        await AssertFollowedOnceAsync(client, id, "workflow:complete", ct);
        Assert.Equal([id.ToString()], _comfy.Queued.Select(q => q.PromptId));
        Assert.Equal(id.ToString(), Assert.Single(_hooks.Deliveries).Headers[WebhookSignature.DeliveryHeader]);
        // B finished it, so B copied its output and serves it.
        using var file = await client.GetAsync($"/v1/comfyui/outputs/{Assert.Single(done["outputs"]!.AsArray())!.GetValue<string>()}", ct);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
    }

    [Fact]
    public async Task AReplicaThatStopsGracefullyHandsItsWorkflowToAnotherWithoutWaitingForItsLease()
    {
        var ct = TestContext.Current.CancellationToken;
        // A lease far longer than the wait below: only the stopping bridge giving it up lets B take over in time.
        var a = await StartReplicaAsync("bridge-a", lease: "00:10:00");
        var b = await StartReplicaAsync("bridge-b", beside: a, lease: "00:10:00");
        var id = await Bridge.SubmitAsync(a.Client(), Workflows.TextToImage(steps: 30), ct);
        await Bridge.WaitAsync(b.Client(), id, v => v["progress"]?["value"]?.GetValue<int>() >= 2, ct);

        await a.StopAsync();

        var client = b.Client();
        Assert.Equal(1, (await Bridge.WaitForStatusAsync(client, id, "completed", ct))["attempts"]!.GetValue<int>());
        await AssertFollowedOnceAsync(client, id, "workflow:complete", ct);
    }

    /// <summary>
    /// What a workflow followed by two bridges at once would show: its events gapless, one <c>running</c>, one end and
    /// that last, progress ticks rising without repeats.
    /// </summary>
    private static async Task AssertFollowedOnceAsync(HttpClient client, Guid id, string end, CancellationToken ct)
    {
        var events = await SseClient.ReadAllAsync(client, $"/v1/comfyui/workflow/{id}/events", null, ct);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => i.ToString()), events.Select(e => e.Id));
        Assert.True(events.Count(e => e.Name == "workflow:status" && e.Json["data"]!["status"]!.GetValue<string>() == "running") <= 1, $"{id} ran twice");
        Assert.Single(events, e => e.Name is "workflow:complete" or "workflow:error" or "workflow:cancelled");
        Assert.Equal(end, events[^1].Name);
        var ticks = events.Where(e => e.Name == "workflow:progress").Select(e => e.Json["data"]!["value"]!.GetValue<int>()).ToList();
        Assert.Equal(ticks.Distinct().Order(), ticks);
    }

    private async Task<Bridge> StartReplicaAsync(string bridgeId, Bridge? beside = null, bool redis = true, string lease = "00:00:02")
    {
        var settings = new Dictionary<string, string>
        {
            // Replicas on one host need ids of their own (in Kubernetes each pod's host name differs).
            ["ComfyUI__BridgeId"] = bridgeId,
            ["ComfyUI__BridgeHeartbeat"] = "00:00:00.250",
            ["ComfyUI__BridgeLease"] = lease,
        };
        if (redis)
        {
            settings["ConnectionStrings__redis"] = _redis.ConnectionString;
        }
        var bridge = await Bridge.StartAsync(postgres, [_comfy.Url], settings, beside?.Database);
        _bridges.Add(bridge);
        return bridge;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var bridge in _bridges)
        {
            await bridge.DisposeAsync();
        }
        _comfyHttp.Dispose();
        await _hooks.DisposeAsync();
        await _comfy.DisposeAsync();
        await _redis.DisposeAsync();
    }
}
