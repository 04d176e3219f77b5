using Grpc.Core;
using AgentFleet.SessionRunner.Contracts;
using AgentFleet.Sessions.Tests.Fixtures;

namespace AgentFleet.Sessions.Tests;

/// <summary>SessionRunner's own WatchSession stream, read over gRPC as ManagementApi or another service would.</summary>
public sealed class RunnerWatchTests(SessionsFixture infrastructure)
{
    [Fact]
    public async Task WatchSessionGivesHistoryThenLiveFromAnySequenceWithoutGapOrRepeatAndEndsWithTheRun()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        string[] printer = ["sh", "-c", "i=0; while [ $i -lt 150 ]; do echo line $i; i=$((i+1)); sleep 0.01; done"];
        var id = await fleet.StartSessionAsync(new { agent = "command", command = printer, task = "print 150 lines" }, ct);
        using var channel = fleet.RunnerChannel();
        var runner = new SessionRunnerGrpc.SessionRunnerClient(channel);

        // One watcher from the start while the agent runs; a second joins at 60 once that much is history.
        var fromStart = Task.Run(() => WatchAsync(runner, id, 0, ct), ct);
        await fleet.WaitForAsync(id, s => s["lastSequence"]!.GetValue<long>() > 80, ct);
        var fromSixty = await WatchAsync(runner, id, 60, ct);
        var all = await fromStart;

        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(e => e.Sequence));
        Assert.Equal(150, all.Count(e => e.Type == "log"));
        Assert.Equal("complete", all[^1].Type);
        Assert.Equal(all.Skip(59).Select(e => (e.Sequence, e.Content)), fromSixty.Select(e => (e.Sequence, e.Content)));

        // After the run, a watch is history only, and it ends.
        Assert.Equal(all.Select(e => e.Id), (await WatchAsync(runner, id, 1, ct)).Select(e => e.Id));
    }

    [Fact]
    public async Task WatchingAnUnknownSessionIsNotFound()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        using var channel = fleet.RunnerChannel();
        var runner = new SessionRunnerGrpc.SessionRunnerClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(() => WatchAsync(runner, Guid.NewGuid().ToString(), 0, ct));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    private static async Task<List<SessionEvent>> WatchAsync(SessionRunnerGrpc.SessionRunnerClient runner, string id, long from, CancellationToken ct)
    {
        using var call = runner.WatchSession(new WatchSessionRequest { SessionId = id, FromSequence = from }, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60), cancellationToken: ct));
        var events = new List<SessionEvent>();
        await foreach (var sessionEvent in call.ResponseStream.ReadAllAsync(ct))
        {
            events.Add(sessionEvent);
        }
        return events;
    }
}
