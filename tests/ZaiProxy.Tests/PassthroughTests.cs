using System.Net;
using System.Text.Json.Nodes;
using AgentFleet.ZaiProxy.Tests.Fixtures;
using static AgentFleet.ZaiProxy.Tests.Fixtures.ProxyClient;

namespace AgentFleet.ZaiProxy.Tests;

/// <summary>The Messages API passed through to a real HTTP upstream: bodies, headers and keys, streams as they come.</summary>
public sealed class PassthroughTests(ProxyFixture fixture)
{
    [Fact]
    public async Task TheRequestGoesUpstreamByteForByteWithTheProxysKeyAndTheClientsAnthropicHeaders()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, _) = ProxyFixture.NewSessionKey();
        using var http = For(fixture.Relayed, key);
        var marker = Guid.NewGuid().ToString("N");
        var body = Message($"passthrough {marker}");
        body["metadata"] = new JsonObject { ["user_id"] = "someone" };
        body["a_field_from_the_future"] = new JsonObject { ["nested"] = new JsonArray(1, 2, 3) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("anthropic-beta", "fine-grained-tool-streaming-2025-05-14");

        using var response = await http.SendAsync(request, ct);
        var reply = await JsonAsync(response, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("message", reply["type"]!.GetValue<string>());
        Assert.Contains(marker, reply["content"]![0]!["text"]!.GetValue<string>());
        var seen = Assert.Single(fixture.Upstream.RequestsContaining(marker));
        Assert.Equal(body.ToJsonString(), seen.Body);
        Assert.Equal(ProxyFixture.UpstreamKey, seen.ApiKey);
        Assert.Null(seen.Authorization);
        Assert.Equal("fine-grained-tool-streaming-2025-05-14", seen.Beta);
        Assert.DoesNotContain(ProxyFixture.UpstreamKey, await response.Content.ReadAsStringAsync(ct));
    }

    [Fact]
    public async Task AStreamedReplyArrivesEventByEventWhileTheUpstreamIsStillWriting()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, _) = ProxyFixture.NewSessionKey();
        using var http = For(fixture.Relayed, key);

        using var response = await PostAsync(http, Message("#sim tokens 10\n#sim delay 300", stream: true), ct);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string? firstDelta = null;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Contains("text_delta", StringComparison.Ordinal))
            {
                firstDelta = line;
                break;
            }
        }
        var firstAt = clock.Elapsed;
        var rest = await reader.ReadToEndAsync(ct);

        Assert.NotNull(firstDelta);
        // Ten deltas 300 ms apart: the first must not wait for the other nine.
        Assert.True(clock.Elapsed - firstAt > TimeSpan.FromSeconds(2), $"first delta at {firstAt}, end at {clock.Elapsed}");
        Assert.Contains("event: message_stop", rest);
    }

    [Fact]
    public async Task WithoutAValidKeyTheCallIsRefusedInAnthropicsErrorShape()
    {
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = For(fixture.Relayed);
        using var forged = For(fixture.Relayed, "fsk_" + Guid.NewGuid().ToString("N") + "_not-a-signature");
        var marker = $"refused {Guid.NewGuid():N}";

        foreach (var http in new[] { anonymous, forged })
        {
            using var response = await PostAsync(http, Message(marker), ct);
            var error = await JsonAsync(response, ct);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("error", error["type"]!.GetValue<string>());
            Assert.Equal("authentication_error", error["error"]!["type"]!.GetValue<string>());
            Assert.Equal("unauthorized", error["code"]!.GetValue<string>());
        }
        // Other tests share the upstream; none of these requests reached it.
        Assert.Empty(fixture.Upstream.RequestsContaining(marker));
    }

    [Fact]
    public async Task BearerKeysAreAcceptedAsClaudeCodeSendsThem()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, _) = ProxyFixture.NewSessionKey();
        using var http = For(fixture.Simulated);
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);

        using var response = await PostAsync(http, Message("bearer"), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("You said: bearer", (await JsonAsync(response, ct))["content"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task CountTokensIsPassedThrough()
    {
        var ct = TestContext.Current.CancellationToken;
        var (key, _) = ProxyFixture.NewSessionKey();
        using var http = For(fixture.Relayed, key);
        var body = Message(new string('x', 400));
        body.Remove("max_tokens");
        body.Remove("stream");

        using var response = await PostAsync(http, body, ct, "/v1/messages/count_tokens");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await JsonAsync(response, ct))["input_tokens"]!.GetValue<int>() >= 100);
    }
}
