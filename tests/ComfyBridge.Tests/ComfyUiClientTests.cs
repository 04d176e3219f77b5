using System.Net;
using AgentFleet.ComfyBridge.ComfyUi;
using AgentFleet.ComfyBridge.Tests.Fixtures;

namespace AgentFleet.ComfyBridge.Tests;

/// <summary>The bridge's ComfyUI client against the ComfyUI test server: the documented API and message sequence.</summary>
public sealed class ComfyUiClientTests : IAsyncLifetime
{
    private ComfyUiServer _server = null!;
    private ComfyUiClient _client = null!;
    private HttpClient _http = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await ComfyUiServer.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_server.Url) };
        _client = new ComfyUiClient(_http);
    }

    [Fact]
    public async Task AQueuedWorkflowStreamsItsProgressInOrderAndItsImageCanBeFetched()
    {
        var ct = TestContext.Current.CancellationToken;
        var clientId = Guid.NewGuid().ToString("N");
        using var listening = CancellationTokenSource.CreateLinkedTokenSource(ct);
        listening.CancelAfter(TimeSpan.FromSeconds(30));
        var messages = new List<ComfyUiMessage>();
        await using var events = ComfyUiEvents.ReadAsync(_client.BaseAddress, clientId, listening.Token).GetAsyncEnumerator(listening.Token);
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("status", events.Current.Type);

        var queued = await _client.QueuePromptAsync(Workflows.TextToImage(steps: 3), clientId, null, ct);
        while (await events.MoveNextAsync())
        {
            messages.Add(events.Current);
            if (events.Current.Type == "executing" && events.Current.Data["node"] is null)
            {
                break;
            }
        }

        var mine = messages.Where(m => m.Type != "status").ToList();
        Assert.All(mine.Where(m => m.Type != "preview"), m => Assert.Equal(queued.PromptId, m.PromptId));
        Assert.Equal("execution_start", mine[0].Type);
        Assert.Equal([1, 2, 3], mine.Where(m => m.Type == "progress").Select(m => m.Data["value"]!.GetValue<int>()));
        Assert.Equal(3, mine.Count(m => m.Type == "preview"));
        Assert.Equal("image/png", mine.First(m => m.Type == "preview").Preview!.ContentType);
        var executed = mine.Single(m => m.Type == "executed");
        var done = mine.Single(m => m.Type == "executing" && m.Data["node"] is null);
        Assert.True(mine.IndexOf(executed) < mine.IndexOf(mine.Single(m => m.Type == "execution_success")));
        Assert.Equal(done, mine[^1]);
        var image = executed.Data["output"]!["images"]![0]!;

        var history = await _client.GetHistoryAsync(queued.PromptId, ct);
        Assert.Equal("success", history!["status"]!["status_str"]!.GetValue<string>());
        Assert.Equal(image["filename"]!.GetValue<string>(), history["outputs"]!["9"]!["images"]![0]!["filename"]!.GetValue<string>());
        using var file = await _client.ViewAsync(image["filename"]!.GetValue<string>(), "", "output", ct);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal(ComfyUiServer.Png, await file.Content.ReadAsByteArrayAsync(ct));
    }

    [Fact]
    public async Task AnInvalidWorkflowIsRejectedWithComfyUisReason()
    {
        var ct = TestContext.Current.CancellationToken;
        var workflow = Workflows.TextToImage();
        workflow["3"]!["class_type"] = "NoSuchSampler";
        var rejected = await Assert.ThrowsAsync<ComfyUiRejectedException>(() => _client.QueuePromptAsync(workflow, "c", null, ct));
        Assert.Contains("NoSuchSampler", rejected.Message);
        Assert.Equal("invalid_prompt", rejected.Error!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task AWaitingPromptCanBeRemovedAndARunningOneInterrupted()
    {
        var ct = TestContext.Current.CancellationToken;
        _server.StepDelay = TimeSpan.FromMilliseconds(200);
        var running = await _client.QueuePromptAsync(Workflows.TextToImage(steps: 50), "c", null, ct);
        var waiting = await _client.QueuePromptAsync(Workflows.TextToImage(steps: 2), "c", null, ct);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        QueueState queue;
        while ((queue = await _client.GetQueueAsync(ct)).Running.Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct);
        }
        Assert.Equal([running.PromptId], queue.Running);
        Assert.Equal([waiting.PromptId], queue.Pending);

        await _client.DeleteFromQueueAsync([waiting.PromptId], ct);
        await _client.InterruptAsync(running.PromptId, ct);
        var history = await WaitForHistoryAsync(running.PromptId, ct);
        Assert.Equal("error", history["status"]!["status_str"]!.GetValue<string>());
        Assert.Contains("execution_interrupted", history["status"]!["messages"]!.ToJsonString());
        Assert.Empty((await _client.GetQueueAsync(ct)).Pending);
        Assert.Null(await _client.GetHistoryAsync(waiting.PromptId, ct));
    }

    [Fact]
    public async Task AFailingNodeEndsInAnExecutionErrorInTheHistory()
    {
        var ct = TestContext.Current.CancellationToken;
        var failed = await _client.QueuePromptAsync(Workflows.Failing(), "c", null, ct);
        var history = await WaitForHistoryAsync(failed.PromptId, ct);
        Assert.Equal("error", history["status"]!["status_str"]!.GetValue<string>());
        Assert.Contains("The node failed on purpose.", history["status"]!["messages"]!.ToJsonString());
    }

    [Fact]
    public async Task ModelsNodeTypesAndDevicesAreListed()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.Contains("checkpoints", await _client.GetModelFoldersAsync(ct));
        Assert.Contains("flux1-dev.safetensors", await _client.GetModelsAsync("checkpoints", ct));
        Assert.True((await _client.GetObjectInfoAsync(ct)).ContainsKey("KSampler"));
        var device = Assert.Single(await _client.GetDevicesAsync(ct));
        Assert.Equal(25_769_803_776L, device.VramTotal);
    }

    private async Task<System.Text.Json.Nodes.JsonObject> WaitForHistoryAsync(string promptId, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (await _client.GetHistoryAsync(promptId, ct) is { } history)
            {
                return history;
            }
            await Task.Delay(50, ct);
        }
        throw new TimeoutException($"{promptId} never reached the history");
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }
}
