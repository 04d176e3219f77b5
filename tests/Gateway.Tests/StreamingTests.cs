using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using AgentFleet.Gateway.Tests.Fixtures;

namespace AgentFleet.Gateway.Tests;

public sealed class StreamingTests(GatewayFixture fleet)
{
    [Fact]
    public async Task SseThroughTheGatewayDeliversEachEventAsItIsProduced()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, key) = await fleet.CreateKeyAsync("operator", ct);
        using var client = fleet.Client(key);
        using var created = await client.PostAsJsonAsync("/v1/sessions",
            new { agent = "command", command = new[] { "sh", "-c", "echo first; sleep 3; echo second" }, task = "two lines, apart" }, ct);
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonObject>(ct))!["sessionId"]!.GetValue<string>();

        using var response = await client.GetAsync($"/v1/sessions/{id}/events", HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        var clock = Stopwatch.StartNew();
        TimeSpan? first = null, second = null;
        string? line;
        while ((line = await reader.ReadLineAsync(ct)) is not null)
        {
            if (line.StartsWith("data:") && line.Contains("\"first\""))
            {
                first = clock.Elapsed;
            }
            if (line.StartsWith("data:") && line.Contains("\"second\""))
            {
                second = clock.Elapsed;
            }
        }
        Assert.NotNull(first);
        Assert.NotNull(second);
        // The agent waits 3 s between its lines: the first must reach us long before the second was even written.
        Assert.True(second - first > TimeSpan.FromSeconds(2), $"first at {first}, second at {second}: the gateway held the stream back");
    }

    [Fact]
    public async Task AWebSocketThroughTheGatewayCarriesMessagesBothWaysAndItsCloseCode()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, key) = await fleet.CreateKeyAsync("operator", ct);
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {key}");
        await socket.ConnectAsync(new Uri($"ws://{new Uri(fleet.Gateway.HttpUrl).Authority}/test/echo"), ct);
        var buffer = new byte[1024];
        foreach (var text in (string[])["hello", "through", "the gateway"])
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ct);
            var result = await socket.ReceiveAsync(buffer, ct);
            Assert.Equal(text, Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
        await socket.CloseAsync((WebSocketCloseStatus)4001, "done here", ct);
        Assert.Equal((WebSocketCloseStatus)4001, socket.CloseStatus);
        Assert.Equal("done here", socket.CloseStatusDescription);
    }

    [Fact]
    public async Task ASessionWebSocketThroughTheGatewayNeedsAKeyAndStreamsItsEvents()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, key) = await fleet.CreateKeyAsync("operator", ct);
        using var client = fleet.Client(key);
        using var created = await client.PostAsJsonAsync("/v1/sessions", new { agent = "command", command = new[] { "echo", "over a socket" }, task = "one line" }, ct);
        var id = (await created.Content.ReadFromJsonAsync<JsonObject>(ct))!["sessionId"]!.GetValue<string>();
        var uri = new Uri($"ws://{new Uri(fleet.Gateway.HttpUrl).Authority}/v1/sessions/{id}/ws");

        using (var anonymous = new ClientWebSocket())
        {
            var refused = await Assert.ThrowsAsync<WebSocketException>(() => anonymous.ConnectAsync(uri, ct));
            Assert.Contains("401", refused.Message);
        }
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("X-API-Key", key);
        await socket.ConnectAsync(uri, ct);
        var received = new StringBuilder();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                break;
            }
            received.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
        Assert.Contains("over a socket", received.ToString());
        Assert.Contains("\"complete\"", received.ToString());
    }
}
