using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using AgentFleet.Testing;
using AgentFleet.Sessions.Tests.Fixtures;

namespace AgentFleet.Sessions.Tests;

/// <summary>Live streams that drop and come back: nothing lost, nothing twice, always in order.</summary>
public sealed class StreamReconnectTests(SessionsFixture infrastructure)
{
    private static readonly string[] Printer = ["sh", "-c", "i=0; while [ $i -lt 300 ]; do echo line $i; i=$((i+1)); sleep 0.005; done"];

    [Fact]
    public async Task ReconnectWithLastEventIdDeliversEveryEventOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        var id = await fleet.StartSessionAsync(new { agent = "command", command = Printer, task = "print 300 lines" }, ct);

        var received = new List<SseEvent>();
        await foreach (var sse in SseClient.ReadAsync(fleet.Http, $"/v1/sessions/{id}/events", null, ct))
        {
            if (sse.Id is null)
            {
                continue; // a notice about the stream itself, not a session event
            }
            received.Add(sse);
            if (received.Count == 40)
            {
                break; // the client drops mid-stream
            }
        }
        await foreach (var sse in SseClient.ReadAsync(fleet.Http, $"/v1/sessions/{id}/events", received[^1].Id, ct))
        {
            if (sse.Id is not null)
            {
                received.Add(sse);
            }
        }

        var sequences = received.Select(e => long.Parse(e.Id!)).ToList();
        Assert.Equal(Enumerable.Range(1, sequences.Count).Select(i => (long)i), sequences);
        Assert.Equal("agent:complete", received[^1].Name);
        Assert.Equal(300, received.Count(e => e.Name == "agent:message"));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"line {i}"), received.Where(e => e.Name == "agent:message").Select(e => e.Json["content"]!.GetValue<string>()));
    }

    [Fact]
    public async Task WebSocketResumesFromASequence()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        var id = await fleet.StartSessionAsync(new { agent = "command", command = Printer, task = "print 300 lines" }, ct);
        await fleet.WaitForAsync(id, s => s["lastSequence"]!.GetValue<long>() > 20, ct);

        using var socket = new ClientWebSocket();
        var uri = new Uri($"ws://{fleet.Http.BaseAddress!.Authority}/v1/sessions/{id}/ws?since=10");
        Fleet.Sign(socket, uri);
        await socket.ConnectAsync(uri, ct);
        var events = new List<JsonObject>();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var text = new StringBuilder();
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, ct);
                text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            }
            while (!result.EndOfMessage);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                break;
            }
            events.Add(JsonNode.Parse(text.ToString())!.AsObject());
        }

        var sequences = events.Select(e => e["sequence"]!.GetValue<long>()).ToList();
        Assert.Equal(11, sequences[0]);
        Assert.Equal(Enumerable.Range(11, sequences.Count).Select(i => (long)i), sequences);
        Assert.Equal("complete", events[^1]["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task WhileRedisIsDownTheStreamFollowsHistoryAndSaysSoThenReturnsToRedisWithNothingLostOrRepeated()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await LocalServer.StartRedisAsync(ct);
        await using var fleet = await Fleet.StartAsync(infrastructure, ct, redis: redis);
        string[] slowPrinter = ["sh", "-c", "i=0; while [ $i -lt 400 ]; do echo line $i; i=$((i+1)); sleep 0.025; done"];
        var id = await fleet.StartSessionAsync(new { agent = "command", command = slowPrinter, task = "print 400 lines slowly" }, ct);

        var received = new List<SseEvent>();
        var notices = new List<(string Source, int At)>();
        await foreach (var sse in SseClient.ReadAsync(fleet.Http, $"/v1/sessions/{id}/events", null, ct))
        {
            if (sse.Id is null)
            {
                notices.Add((sse.Json["stream"]!.GetValue<string>(), received.Count));
                continue;
            }
            received.Add(sse);
            if (received.Count == 30)
            {
                await redis.KillAsync();
            }
            // Once events have kept coming from PostgreSQL for a while, Redis comes back.
            if (notices is [.., ("polling", var since)] && received.Count == since + 40)
            {
                await redis.RestartAsync(ct);
            }
        }

        Assert.Equal(["polling", "redis"], notices.Select(n => n.Source));
        Assert.True(received.Count > notices[1].At + 40, "events kept arriving after the return to Redis");
        var sequences = received.Select(e => long.Parse(e.Id!)).ToList();
        Assert.Equal(Enumerable.Range(1, sequences.Count).Select(i => (long)i), sequences);
        Assert.Equal(400, received.Count(e => e.Name == "agent:message"));
        Assert.Equal("agent:complete", received[^1].Name);
    }

    [Fact]
    public async Task AShortAndThenALongRedisOutageAreBothSaidAndLoseNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var redis = await LocalServer.StartRedisAsync(ct);
        await using var fleet = await Fleet.StartAsync(infrastructure, ct, redis: redis);
        // About 12 s of output, 50 lines a second.
        string[] printer = ["sh", "-c", "i=0; while [ $i -lt 600 ]; do echo line $i; i=$((i+1)); sleep 0.02; done"];
        var id = await fleet.StartSessionAsync(new { agent = "command", command = printer, task = "print 600 lines" }, ct);

        var received = new List<SseEvent>();
        var notices = new List<(string Source, DateTime At)>();
        Task? outage = null;
        await foreach (var sse in SseClient.ReadAsync(fleet.Http, $"/v1/sessions/{id}/events", null, ct))
        {
            if (sse.Id is null)
            {
                notices.Add((sse.Json["stream"]!.GetValue<string>(), DateTime.UtcNow));
                continue;
            }
            received.Add(sse);
            if (received.Count == 30)
            {
                // Short: Redis is killed and started again at once, back well within the stream's quiet spell.
                outage = Task.Run(async () =>
                {
                    await redis.KillAsync();
                    await redis.RestartAsync(ct);
                    await Task.Delay(TimeSpan.FromSeconds(2), ct);
                    // Long: down for five seconds while the agent goes on printing.
                    await redis.KillAsync();
                    await Task.Delay(TimeSpan.FromSeconds(5), ct);
                    await redis.RestartAsync(ct);
                }, ct);
            }
        }
        await outage!;

        Assert.Equal(["polling", "redis", "polling", "redis"], notices.Select(n => n.Source));
        Assert.True(notices[3].At - notices[2].At > TimeSpan.FromSeconds(4), "the long outage was followed from PostgreSQL throughout");
        var sequences = received.Select(e => long.Parse(e.Id!)).ToList();
        Assert.Equal(Enumerable.Range(1, sequences.Count).Select(i => (long)i), sequences);
        Assert.Equal(600, received.Count(e => e.Name == "agent:message"));
        Assert.Equal("agent:complete", received[^1].Name);
    }

    [Fact]
    public async Task ManyClientsWatchingOneSessionEachReceiveEveryEventOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        string[] waitThenPrint = ["sh", "-c", "sleep 2; i=0; while [ $i -lt 200 ]; do echo line $i; i=$((i+1)); done"];
        var id = await fleet.StartSessionAsync(new { agent = "command", command = waitThenPrint, task = "print 200 lines" }, ct);

        var clients = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            var events = new List<SseEvent>();
            await foreach (var sse in SseClient.ReadAsync(fleet.Http, $"/v1/sessions/{id}/events", null, ct))
            {
                events.Add(sse);
            }
            return events;
        }, ct)).ToList();

        foreach (var events in await Task.WhenAll(clients))
        {
            // Live from Redis for every client: none of them fell back to polling.
            Assert.DoesNotContain(events, e => e.Id is null);
            Assert.Equal(Enumerable.Range(1, events.Count).Select(i => i.ToString()), events.Select(e => e.Id));
            Assert.Equal(200, events.Count(e => e.Name == "agent:message"));
            Assert.Equal("agent:complete", events[^1].Name);
        }
    }
}
