using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using AgentFleet.ComfyBridge.Tests.Fixtures;
using AgentFleet.Gateway.Tests.Fixtures;
using AgentFleet.Testing;
using AgentFleet.ServiceDefaults.Security;

namespace AgentFleet.ComfyBridge.Tests;

/// <summary>Workflows through the bridge (a real process) against the ComfyUI test server: submit, follow, fetch.</summary>
public sealed class WorkflowTests(PostgresFixture postgres) : BridgeTest(postgres)
{
    [Fact]
    public async Task ASubmittedWorkflowStreamsNumberedProgressInOrderAndItsOutputsCanBeListedAndDownloaded()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = Bridge.Client("alice");
        using var response = await client.PostAsJsonAsync("/v1/comfyui/workflow", new { workflow = Workflows.TextToImage(steps: 5) }, ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<JsonObject>(ct))!;
        var id = created["workflowId"]!.GetValue<string>();
        Assert.Equal("queued", created["status"]!.GetValue<string>());
        Assert.Equal($"/v1/comfyui/workflow/{id}", response.Headers.Location!.OriginalString);

        var events = await SseClient.ReadAllAsync(client, $"/v1/comfyui/workflow/{id}/events", null, ct);

        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => i.ToString()), events.Select(e => e.Id));
        Assert.Equal("workflow:status", events[0].Name);
        Assert.Equal("queued", events[0].Json["data"]!["status"]!.GetValue<string>());
        Assert.Contains(events, e => e.Name == "workflow:status" && e.Json["data"]!["status"]!.GetValue<string>() == "running");
        Assert.Equal([1, 2, 3, 4, 5], events.Where(e => e.Name == "workflow:progress").Select(e => e.Json["data"]!["value"]!.GetValue<int>()));
        Assert.Contains(events, e => e.Name == "workflow:executing" && e.Json["data"]!["nodeType"]!.GetValue<string>() == "KSampler");
        Assert.Contains(events, e => e.Name == "workflow:output");
        var complete = events[^1];
        Assert.Equal("workflow:complete", complete.Name);
        var name = Assert.Single(complete.Json["data"]!["outputs"]!.AsArray())!.GetValue<string>();

        var view = await Bridge.GetAsync(client, Guid.Parse(id), ct);
        Assert.Equal("completed", view["status"]!.GetValue<string>());
        Assert.Equal(5, view["progress"]!["value"]!.GetValue<int>());
        Assert.Equal(5, view["progress"]!["max"]!.GetValue<int>());
        Assert.Equal(name, view["outputs"]![0]!.GetValue<string>());
        Assert.Equal(events.Count, view["lastSequence"]!.GetValue<int>());

        var page = (await client.GetFromJsonAsync<JsonObject>("/v1/comfyui/outputs", ct))!;
        var listed = Assert.Single(page["items"]!.AsArray())!;
        Assert.Equal(name, listed["name"]!.GetValue<string>());
        Assert.Equal("image/png", listed["contentType"]!.GetValue<string>());
        using var file = await client.GetAsync(listed["url"]!.GetValue<string>(), ct);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("image/png", file.Content.Headers.ContentType!.MediaType);
        Assert.Equal(ComfyUiServer.Png, await file.Content.ReadAsByteArrayAsync(ct));
    }

    [Fact]
    public async Task AClientThatReconnectsWithLastEventIdGetsEveryEventExactlyOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        Comfy.StepDelay = TimeSpan.FromMilliseconds(100);
        var client = Bridge.Client("alice");
        var id = await Bridge.SubmitAsync(client, Workflows.TextToImage(steps: 12), ct);

        var first = new List<SseEvent>();
        await foreach (var e in SseClient.ReadAsync(client, $"/v1/comfyui/workflow/{id}/events", null, ct))
        {
            first.Add(e);
            if (e.Name == "workflow:progress" && e.Json["data"]!["value"]!.GetValue<int>() == 3)
            {
                break;
            }
        }
        var rest = await SseClient.ReadAllAsync(client, $"/v1/comfyui/workflow/{id}/events", first[^1].Id, ct);

        var all = first.Concat(rest).ToList();
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(e => long.Parse(e.Id!)));
        Assert.Equal(Enumerable.Range(1, 12), all.Where(e => e.Name == "workflow:progress").Select(e => e.Json["data"]!["value"]!.GetValue<int>()));
        Assert.Equal("workflow:complete", all[^1].Name);
        // ?since=N resumes the same way; from the end, or past it, the stream is over at once.
        var since = await SseClient.ReadAllAsync(client, $"/v1/comfyui/workflow/{id}/events?since={all.Count - 2}", null, ct);
        Assert.Equal([all[^2].Id, all[^1].Id], since.Select(e => e.Id));
        Assert.True(JsonNode.DeepEquals(all[^1].Json, since[^1].Json));
        Assert.Empty(await SseClient.ReadAllAsync(client, $"/v1/comfyui/workflow/{id}/events?since={all.Count}", null, ct, TimeSpan.FromSeconds(10)));
        Assert.Empty(await SseClient.ReadAllAsync(client, $"/v1/comfyui/workflow/{id}/events", $"{all.Count + 50}", ct, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task TheWebSocketStreamCarriesAWorkflowsEventsAndEndsWithIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = Bridge.Client("alice");
        using var all = await Bridge.ConnectWebSocketAsync("/v1/comfyui/stream", "alice", ct);
        var id = await Bridge.SubmitAsync(client, Workflows.TextToImage(steps: 3), ct);
        using var one = await Bridge.ConnectWebSocketAsync($"/v1/comfyui/stream?workflowId={id}&since=0", "alice", ct);

        var followed = (await WebSocketFrames.ReadUntilCloseAsync(one, ct)).Select(f => JsonNode.Parse(f.Bytes)!.AsObject()).ToList();
        Assert.Equal(Enumerable.Range(1, followed.Count).Select(i => (long)i), followed.Select(e => e["sequence"]!.GetValue<long>()));
        Assert.Equal("complete", followed[^1]["type"]!.GetValue<string>());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, one.CloseStatus);

        // The caller-wide stream saw the same events live, each tagged with its workflow.
        var live = new List<JsonObject>();
        while (live.Count == 0 || live[^1]["type"]!.GetValue<string>() != "complete")
        {
            live.Add(await WebSocketFrames.ReceiveAsync(all, ct));
        }
        Assert.All(live, e => Assert.Equal(id.ToString(), e["workflowId"]!.GetValue<string>()));
        Assert.Equal(followed.Select(e => e["sequence"]!.GetValue<long>()), live.Select(e => e["sequence"]!.GetValue<long>()));
    }

    [Fact]
    public async Task PreviewImagesOfARunningWorkflowArriveAsBinaryFramesInComfyUisLayoutWhenAskedFor()
    {
        var ct = TestContext.Current.CancellationToken;
        Comfy.StepDelay = TimeSpan.FromMilliseconds(150);
        var client = Bridge.Client("alice");
        var id = await Bridge.SubmitAsync(client, Workflows.TextToImage(steps: 6), ct);
        using var socket = await Bridge.ConnectWebSocketAsync($"/v1/comfyui/stream?workflowId={id}&previews=true", "alice", ct);

        var frames = await WebSocketFrames.ReadUntilCloseAsync(socket, ct);
        var previews = frames.Where(f => f.Type == WebSocketMessageType.Binary).Select(f => f.Bytes).ToList();
        Assert.NotEmpty(previews);
        Assert.True(frames.Count(f => f.Type == WebSocketMessageType.Text) > 6);
        Assert.All(previews, frame =>
        {
            Assert.Equal(1u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(frame));
            Assert.Equal(2u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(4)));
            Assert.Equal(ComfyUiServer.Png, frame[8..]);
        });
    }

    [Fact]
    public async Task AComfyUiThatNamesItsOwnPromptIdsStillRunsTheWorkflowToItsEnd()
    {
        var ct = TestContext.Current.CancellationToken;
        Comfy.HonourPromptId = false;
        var client = Bridge.Client("alice");
        var id = await Bridge.SubmitAsync(client, Workflows.TextToImage(steps: 3), ct);
        var events = await SseClient.ReadAllAsync(client, $"/v1/comfyui/workflow/{id}/events", null, ct);
        Assert.Equal("workflow:complete", events[^1].Name);
        var view = await Bridge.GetAsync(client, id, ct);
        Assert.NotEqual(id.ToString(), view["promptId"]!.GetValue<string>());
        Assert.Equal(1, view["attempts"]!.GetValue<int>());
        Assert.Single(view["outputs"]!.AsArray());
    }

    [Fact]
    public async Task BadWorkflowsAreRefusedWithProblemDetailsAndComfyUisOwnReason()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = Bridge.Client("alice");
        // NUL in a node id, a class_type or an input: PostgreSQL's jsonb would refuse it.
        var nulId = new JsonObject { ["3\u0000"] = new JsonObject { ["class_type"] = "KSampler", ["inputs"] = new JsonObject() } };
        var nulClass = Workflows.TextToImage();
        nulClass["3"]!["class_type"] = "KSam\u0000pler";
        var nulInput = Workflows.TextToImage();
        nulInput["3"]!["inputs"]!["note"] = "a\u0000b";
        foreach (var body in (object[])[new { workflow = (object?)null }, new { workflow = "a string" }, new { workflow = new { } },
            new { workflow = new { nodes = new[] { 1, 2 } } }, new { workflow = Workflows.TextToImage(), webhookUrl = "ftp://example/hook" },
            new { workflow = nulId }, new { workflow = nulClass }, new { workflow = nulInput }])
        {
            using var refused = await client.PostAsJsonAsync("/v1/comfyui/workflow", body, ct);
            await Problem.AssertAsync(refused, HttpStatusCode.BadRequest, "validation_failed");
        }
        var unknownNode = Workflows.TextToImage();
        unknownNode["3"]!["class_type"] = "NoSuchSampler";
        using var rejected = await client.PostAsJsonAsync("/v1/comfyui/workflow", new { workflow = unknownNode }, ct);
        var problem = await Problem.AssertAsync(rejected, HttpStatusCode.BadRequest, "workflow_rejected");
        Assert.Contains("NoSuchSampler", problem["detail"]!.GetValue<string>());
        Assert.Equal("invalid_prompt", problem["comfyError"]!["type"]!.GetValue<string>());
        // Nothing was recorded for the refused workflows.
        Assert.Equal(0, (await client.GetFromJsonAsync<JsonObject>("/v1/comfyui/workflow", ct))!["total"]!.GetValue<int>());

        using var notAnId = await client.GetAsync("/v1/comfyui/workflow/not-a-uuid", ct);
        await Problem.AssertAsync(notAnId, HttpStatusCode.BadRequest, "validation_failed");
        using var unknown = await client.GetAsync($"/v1/comfyui/workflow/{Guid.NewGuid()}", ct);
        await Problem.AssertAsync(unknown, HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task StreamPositionsPastTheEndGiveNothingAndNegativeOnesAre400()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = Bridge.Client("alice");
        var id = await Bridge.SubmitAsync(client, Workflows.TextToImage(steps: 1), ct);
        await SseClient.ReadAllAsync(client, $"/v1/comfyui/workflow/{id}/events", null, ct);

        Assert.Empty(await SseClient.ReadAllAsync(client, $"/v1/comfyui/workflow/{id}/events?since={long.MaxValue}", null, ct));
        Assert.Empty(await SseClient.ReadAllAsync(client, $"/v1/comfyui/workflow/{id}/events", long.MaxValue.ToString(), ct));
        foreach (var path in new[] { $"/v1/comfyui/workflow/{id}/events?since=-1", $"/v1/comfyui/stream?workflowId={id}&since=-1" })
        {
            using var negative = await client.GetAsync(path, ct);
            await Problem.AssertAsync(negative, HttpStatusCode.BadRequest, "validation_failed");
        }
    }

    [Fact]
    public async Task AFailingNodeEndsTheWorkflowAsFailedWithComfyUisError()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = Bridge.Client("alice");
        var id = await Bridge.SubmitAsync(client, Workflows.Failing(), ct);
        var events = await SseClient.ReadAllAsync(client, $"/v1/comfyui/workflow/{id}/events", null, ct);
        Assert.Equal("workflow:error", events[^1].Name);
        Assert.Equal("FailNode", events[^1].Json["data"]!["nodeType"]!.GetValue<string>());
        var view = await Bridge.GetAsync(client, id, ct);
        Assert.Equal("failed", view["status"]!.GetValue<string>());
        Assert.Equal("The node failed on purpose.", view["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task AViewerCannotSubmitOrCancelAnotherOwnersWorkflowIsNotFoundAndListsAreOwnersOwn()
    {
        var ct = TestContext.Current.CancellationToken;
        var alice = Bridge.Client("alice");
        var id = await Bridge.SubmitAsync(alice, Workflows.TextToImage(steps: 2), ct);
        await Bridge.WaitForStatusAsync(alice, id, "completed", ct);

        var viewer = Bridge.Client("alice", CallerRole.Viewer);
        using var submit = await viewer.PostAsJsonAsync("/v1/comfyui/workflow", new { workflow = Workflows.TextToImage() }, ct);
        await Problem.AssertAsync(submit, HttpStatusCode.Forbidden, "insufficient_role");
        using var cancel = await viewer.DeleteAsync($"/v1/comfyui/workflow/{id}", ct);
        await Problem.AssertAsync(cancel, HttpStatusCode.Forbidden, "insufficient_role");
        Assert.Equal("completed", (await Bridge.GetAsync(viewer, id, ct))["status"]!.GetValue<string>());

        var bob = Bridge.Client("bob");
        foreach (var path in (string[])[$"/v1/comfyui/workflow/{id}", $"/v1/comfyui/workflow/{id}/events"])
        {
            using var hidden = await bob.GetAsync(path, ct);
            await Problem.AssertAsync(hidden, HttpStatusCode.NotFound, "not_found");
        }
        var bobsSocket = await Assert.ThrowsAsync<WebSocketException>(() => Bridge.ConnectWebSocketAsync($"/v1/comfyui/stream?workflowId={id}", "bob", ct));
        Assert.Contains("404", bobsSocket.Message);
        using var bobsCancel = await bob.DeleteAsync($"/v1/comfyui/workflow/{id}", ct);
        await Problem.AssertAsync(bobsCancel, HttpStatusCode.NotFound, "not_found");
        var alicesOutput = (await alice.GetFromJsonAsync<JsonObject>($"/v1/comfyui/outputs?workflowId={id}", ct))!["items"]![0]!["name"]!.GetValue<string>();
        Assert.Equal(0, (await bob.GetFromJsonAsync<JsonObject>("/v1/comfyui/outputs", ct))!["total"]!.GetValue<int>());
        using var bobsDownload = await bob.GetAsync($"/v1/comfyui/outputs/{alicesOutput}", ct);
        await Problem.AssertAsync(bobsDownload, HttpStatusCode.NotFound, "not_found");
        var admin = Bridge.Client("root", CallerRole.Admin);
        Assert.Equal("alice", (await Bridge.GetAsync(admin, id, ct))["owner"]!.GetValue<string>());

        // Lists: each owner sees their own, filtered by status and paged; the admin sees everyone's.
        var bobs = await Bridge.SubmitAsync(bob, Workflows.TextToImage(steps: 1), ct);
        await Bridge.WaitForStatusAsync(bob, bobs, "completed", ct);
        var alicesList = (await alice.GetFromJsonAsync<JsonObject>("/v1/comfyui/workflow?status=completed", ct))!;
        Assert.Equal([id.ToString()], alicesList["items"]!.AsArray().Select(w => w!["workflowId"]!.GetValue<string>()));
        Assert.Equal(0, (await alice.GetFromJsonAsync<JsonObject>("/v1/comfyui/workflow?status=failed", ct))!["total"]!.GetValue<int>());
        var everyone = (await admin.GetFromJsonAsync<JsonObject>("/v1/comfyui/workflow?limit=1", ct))!;
        Assert.Equal(2, everyone["total"]!.GetValue<int>());
        Assert.Equal(bobs.ToString(), Assert.Single(everyone["items"]!.AsArray())!["workflowId"]!.GetValue<string>());
        await Problem.AssertAsync(await alice.GetAsync("/v1/comfyui/workflow?status=done", ct), HttpStatusCode.BadRequest, "validation_failed");
    }
}
