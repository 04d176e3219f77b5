using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.ComfyBridge.Contracts;
using AgentFleet.ComfyBridge.Tests.Fixtures;
using AgentFleet.Gateway.Tests.Fixtures;

namespace AgentFleet.ComfyBridge.Tests;

/// <summary>Several ComfyUI servers: new work on the least busy; status, models and metrics across them.</summary>
public sealed class ServersTests(PostgresFixture postgres) : IAsyncLifetime
{
    private ComfyUiServer _first = null!;
    private ComfyUiServer _second = null!;
    private Bridge _bridge = null!;

    public async ValueTask InitializeAsync()
    {
        _first = await ComfyUiServer.StartAsync();
        _second = await ComfyUiServer.StartAsync();
        _first.StepDelay = _second.StepDelay = TimeSpan.FromMilliseconds(200);
        _bridge = await Bridge.StartAsync(postgres, [_first.Url, _second.Url]);
    }

    [Fact]
    public async Task NewWorkGoesToTheLeastBusyServerAndTheStatusShowsEachServersQueueAndGpu()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = _bridge.Client("alice");
        var a = await Bridge.SubmitAsync(client, Workflows.TextToImage(steps: 20), ct);
        var b = await Bridge.SubmitAsync(client, Workflows.TextToImage(steps: 20), ct);
        var serverA = (await Bridge.GetAsync(client, a, ct))["server"]!.GetValue<string>();
        var serverB = (await Bridge.GetAsync(client, b, ct))["server"]!.GetValue<string>();
        Assert.NotEqual(serverA, serverB);
        Assert.Equal(new[] { _first.Url, _second.Url }.Order(), new[] { serverA, serverB }.Order());

        using var channel = _bridge.GrpcChannel();
        var status = await new ComfyBridgeGrpc.ComfyBridgeClient(channel).GetBridgeStatusAsync(new BridgeStatusRequest(), cancellationToken: ct);
        Assert.True(status.Configured);
        Assert.Equal(2, status.ActiveJobs);
        Assert.Equal(2, status.Servers.Count);
        Assert.All(status.Servers, s =>
        {
            Assert.True(s.Reachable);
            Assert.Equal(1, s.QueueRunning + s.QueuePending);
            Assert.Equal(25_769_803_776L, Assert.Single(s.Gpus).VramTotalBytes);
        });
        var json = (await client.GetFromJsonAsync<JsonObject>("/v1/comfyui/status", ct))!;
        Assert.Equal("available", json["comfyui"]!.GetValue<string>());

        await Bridge.WaitForStatusAsync(client, a, "completed", ct);
        await Bridge.WaitForStatusAsync(client, b, "completed", ct);
        var metrics = await new HttpClient().GetStringAsync($"{_bridge.Process.HttpUrl}/metrics", ct);
        Assert.Contains("comfy_bridge_workflow_duration_seconds_count{status=\"completed\"} 2", metrics);
        // A series without labels may be written with or without an empty label set ({}), as the exposition format allows.
        Assert.Matches($@"(?m)^comfy_bridge_output_bytes_total(\{{\}})? {2 * ComfyUiServer.Png.Length}$", metrics);
        Assert.Contains("comfy_bridge_queue_length", metrics);
    }

    [Fact]
    public async Task ModelsAreListedPerFolderAcrossTheServers()
    {
        var ct = TestContext.Current.CancellationToken;
        var models = (await _bridge.Client("alice", AgentFleet.ServiceDefaults.Security.CallerRole.Viewer).GetFromJsonAsync<JsonObject>("/v1/comfyui/models", ct))!;
        Assert.Equal(["flux1-dev.safetensors", "sd_xl_base_1.0.safetensors"], models["checkpoints"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(["detail.safetensors"], models["loras"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Empty(models["vae"]!.AsArray());
    }

    public async ValueTask DisposeAsync()
    {
        await _bridge.DisposeAsync();
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }
}

/// <summary>A bridge without ComfyUI, or with one that is down, says so and refuses work clearly.</summary>
public sealed class UnavailableTests(PostgresFixture postgres)
{
    [Fact]
    public async Task WithNoServerConfiguredTheBridgeReportsNotConfiguredAndRefusesSubmissionsWith503()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var bridge = await Bridge.StartAsync(postgres, []);
        var client = bridge.Client("alice");
        using var refused = await client.PostAsJsonAsync("/v1/comfyui/workflow", new { workflow = Workflows.TextToImage() }, ct);
        await Problem.AssertAsync(refused, HttpStatusCode.ServiceUnavailable, "comfyui_not_configured");
        Assert.Equal("not configured", (await client.GetFromJsonAsync<JsonObject>("/v1/comfyui/status", ct))!["comfyui"]!.GetValue<string>());
        Assert.Equal("not configured", (await new HttpClient().GetFromJsonAsync<JsonObject>($"{bridge.Process.HttpUrl}/health", ct))!["comfyui"]!.GetValue<string>());
        using var channel = bridge.GrpcChannel();
        Assert.False((await new ComfyBridgeGrpc.ComfyBridgeClient(channel).GetBridgeStatusAsync(new BridgeStatusRequest(), cancellationToken: ct)).Configured);
    }

    [Fact]
    public async Task WithTheOnlyServerDownSubmissionsAreRefusedWith503AndNothingIsRecorded()
    {
        var ct = TestContext.Current.CancellationToken;
        var nobody = $"http://127.0.0.1:{AgentFleet.Testing.PortAllocator.GetFreePort()}";
        await using var bridge = await Bridge.StartAsync(postgres, [nobody]);
        var client = bridge.Client("alice");
        using var refused = await client.PostAsJsonAsync("/v1/comfyui/workflow", new { workflow = Workflows.TextToImage() }, ct);
        await Problem.AssertAsync(refused, HttpStatusCode.ServiceUnavailable, "comfyui_unavailable");
        var status = (await client.GetFromJsonAsync<JsonObject>("/v1/comfyui/status", ct))!;
        Assert.Equal("unreachable", status["comfyui"]!.GetValue<string>());
        Assert.False(status["servers"]![0]!["reachable"]!.GetValue<bool>());
        Assert.Equal(0, status["activeJobs"]!.GetValue<int>());
    }
}
