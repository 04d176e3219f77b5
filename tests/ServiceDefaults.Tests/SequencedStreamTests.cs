using System.Threading.Channels;
using AgentFleet.ServiceDefaults.Streams;

namespace AgentFleet.ServiceDefaults.Tests;

/// <summary>The history-then-live stream every event stream is built on, over an in-memory history and live channel.</summary>
public sealed class SequencedStreamTests
{
    [Fact]
    public async Task LiveItemsAreDeduplicatedAGapIsFilledFromTheHistoryAndTheEndStopsTheStream()
    {
        var ct = TestContext.Current.CancellationToken;
        var history = new List<long> { 1, 2, 3 };
        var live = Channel.CreateUnbounded<long>();
        var written = new List<long>();
        var stream = new SequencedStream<long>
        {
            ReadHistory = (from, limit, _) =>
            {
                lock (history)
                {
                    return Task.FromResult<IReadOnlyList<long>>([.. history.Where(s => s >= from).Take(limit)]);
                }
            },
            SequenceOf = static s => s,
            Write = s =>
            {
                written.Add(s);
                return ValueTask.CompletedTask;
            },
            EndsLive = static s => s == 7,
            NextWait = static () => new LiveWait(true, TimeSpan.FromSeconds(30)),
            PageSize = 2,
        };
        var running = stream.RunAsync(1, live.Reader, ct);

        // 3 again (a duplicate of the history), 4, then 6: 5 was lost live, so the stream goes back to the history for it.
        lock (history)
        {
            history.AddRange([4, 5, 6]);
        }
        foreach (var s in new long[] { 3, 4, 6 })
        {
            await live.Writer.WriteAsync(s, ct);
        }
        await WaitUntilAsync(() => written.Count >= 5, ct);
        // Live again: the end of the stream, and nothing after it is written.
        await live.Writer.WriteAsync(7, ct);
        await live.Writer.WriteAsync(8, ct);
        await running.WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Equal([2, 3, 4, 5, 6, 7], written);
    }

    [Fact]
    public async Task WithoutLiveItemsTheStreamPollsTheHistoryUntilItSaysItIsOver()
    {
        var ct = TestContext.Current.CancellationToken;
        var reads = 0;
        var stream = new SequencedStream<long>
        {
            ReadHistory = (from, _, _) => Task.FromResult<IReadOnlyList<long>>(Interlocked.Increment(ref reads) == 3 && from == 1 ? [1] : []),
            SequenceOf = static s => s,
            Write = static _ => ValueTask.CompletedTask,
            AfterHistory = (last, next, _) => ValueTask.FromResult(next > 1 ? AfterHistory.Over : AfterHistory.Live),
            NextWait = static () => new LiveWait(false, TimeSpan.FromMilliseconds(20)),
        };

        await stream.RunAsync(0, Channel.CreateUnbounded<long>().Reader, ct).WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(3, reads);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken ct)
    {
        while (!condition())
        {
            await Task.Delay(10, ct);
        }
    }
}
