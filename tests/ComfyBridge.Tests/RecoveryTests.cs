using System.Net;
using System.Text.Json.Nodes;
using AgentFleet.ComfyBridge.ComfyUi;
using AgentFleet.ComfyBridge.Tests.Fixtures;
using AgentFleet.Testing;

namespace AgentFleet.ComfyBridge.Tests;

/// <summary>Jobs live in comfy_jobs: a restart of ComfyUI or of the bridge neither loses a job nor renumbers its events.</summary>
public sealed class RecoveryTests(PostgresFixture postgres) : BridgeTest(postgres, TimeSpan.FromMilliseconds(150))
{
    [Fact]
    public async Task AWorkflowLostWhenComfyUiRestartsMidJobIsQueuedAgainAndCompletes()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = Bridge.Client("alice");
        var id = await Bridge.SubmitAsync(client, Workflows.TextToImage(steps: 10), ct);
        var before = await Bridge.WaitAsync(client, id, v => v["progress"]?["value"]?.GetValue<int>() >= 3, ct);

        await Comfy.RestartAsync();

        var done = await Bridge.WaitAsync(client, id, v => v["status"]!.GetValue<string>() != "running" && v["status"]!.GetValue<string>() != "queued", ct);
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        Assert.Equal(2, done["attempts"]!.GetValue<int>());
        Assert.NotEqual(before["promptId"]!.GetValue<string>(), done["promptId"]!.GetValue<string>());
        var events = await SseClient.ReadAllAsync(client, $"/v1/comfyui/workflow/{id}/events", null, ct);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => i.ToString()), events.Select(e => e.Id));
        Assert.Contains(events, e => e.Name == "workflow:status" && e.Json["data"]!["attempt"]?.GetValue<int>() == 2);
        using var file = await client.GetAsync($"/v1/comfyui/outputs/{done["outputs"]![0]!.GetValue<string>()}", ct);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
    }

    [Fact]
    public async Task AWorkflowThatEndsWhileTheBridgeIsKilledIsCompletedFromComfyUisHistoryWithItsEventsIntact()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = Bridge.Client("alice");
        var id = await Bridge.SubmitAsync(client, Workflows.TextToImage(steps: 8), ct);
        var running = await Bridge.WaitAsync(client, id, v => v["progress"]?["value"]?.GetValue<int>() >= 2, ct);
        var seen = await SseClient.ReadAsync(client, $"/v1/comfyui/workflow/{id}/events", null, ct).Take(running["lastSequence"]!.GetValue<int>()).ToListAsync(ct);

        await Bridge.KillAsync();
        using var comfyHttp = new HttpClient { BaseAddress = new Uri(Comfy.Url) };
        var comfy = new ComfyUiClient(comfyHttp);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await comfy.GetHistoryAsync(running["promptId"]!.GetValue<string>(), ct) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "ComfyUI never finished the prompt");
            await Task.Delay(50, ct);
        }
        await Bridge.RestartAsync();

        client = Bridge.Client("alice");
        var done = await Bridge.WaitForStatusAsync(client, id, "completed", ct);
        Assert.Single(done["outputs"]!.AsArray());
        var events = await SseClient.ReadAllAsync(client, $"/v1/comfyui/workflow/{id}/events", null, ct);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => i.ToString()), events.Select(e => e.Id));
        Assert.All(seen.Zip(events), pair => Assert.True(JsonNode.DeepEquals(pair.First.Json, pair.Second.Json), $"{pair.First.Data} became {pair.Second.Data}"));
        Assert.Equal("workflow:complete", events[^1].Name);
    }

    [Fact]
    public async Task AWorkflowRunningAcrossABridgeRestartKeepsStreamingWhereItWas()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = Bridge.Client("alice");
        var id = await Bridge.SubmitAsync(client, Workflows.TextToImage(steps: 30), ct);
        await Bridge.WaitAsync(client, id, v => v["progress"]?["value"]?.GetValue<int>() >= 2, ct);

        await Bridge.KillAsync();
        await Bridge.RestartAsync();

        client = Bridge.Client("alice");
        var events = await SseClient.ReadAllAsync(client, $"/v1/comfyui/workflow/{id}/events", null, ct);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => i.ToString()), events.Select(e => e.Id));
        Assert.Equal("workflow:complete", events[^1].Name);
        var ticks = events.Where(e => e.Name == "workflow:progress").Select(e => e.Json["data"]!["value"]!.GetValue<int>()).ToList();
        // Ticks sent while no bridge listened are gone, but those it heard are in order and end at the last step.
        Assert.Equal(ticks.Order(), ticks);
        Assert.Equal(30, ticks[^1]);
        Assert.Equal(1, (await Bridge.GetAsync(client, id, ct))["attempts"]!.GetValue<int>());
    }
}
