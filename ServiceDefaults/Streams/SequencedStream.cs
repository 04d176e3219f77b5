using System.Threading.Channels;

namespace AgentFleet.ServiceDefaults.Streams;

/// <summary>What a stream does once its history is read out and nothing in it ended the stream.</summary>
public enum AfterHistory
{
    /// <summary>Wait for live items.</summary>
    Live,

    /// <summary>Read the history once more before waiting (something may have been committed just now).</summary>
    ReadAgain,

    /// <summary>Stop: the reader has everything there will be.</summary>
    Over,
}

/// <summary>How the next live wait goes: whether live items can be trusted, how long to wait for one, and what cuts the wait short.</summary>
public readonly record struct LiveWait(bool Live, TimeSpan Quiet, CancellationToken Interrupt = default);

/// <summary>
/// One reader's stream of sequenced items (a session's events, a job's events): the history from the store after a
/// position, then live items, deduplicated and gap-filled by sequence number, so every item arrives once and in order.
/// A gap in the live items (one was dropped) or a quiet spell sends the reader back to the history, so an item whose
/// live copy was lost still arrives. Subscribe to the live items before <see cref="RunAsync"/>, so that nothing
/// published between the history read and the first live wait is missed.
/// </summary>
public sealed class SequencedStream<T>
{
    /// <summary>Items from a sequence on (inclusive), in order, at most a page of them.</summary>
    public required Func<long, int, CancellationToken, Task<IReadOnlyList<T>>> ReadHistory { get; init; }

    public required Func<T, long> SequenceOf { get; init; }

    public required Func<T, ValueTask> Write { get; init; }

    /// <summary>Called after each run of items that were ready together, so a burst costs one network write.</summary>
    public Func<ValueTask> Flush { get; init; } = static () => ValueTask.CompletedTask;

    /// <summary>Whether an item read from the history ends the stream once written.</summary>
    public Func<T, bool> EndsInHistory { get; init; } = static _ => false;

    /// <summary>Whether a live item ends the stream once written.</summary>
    public Func<T, bool> EndsLive { get; init; } = static _ => false;

    /// <summary>Given the last item of the history (if any) and the next sequence wanted.</summary>
    public Func<T?, long, CancellationToken, ValueTask<AfterHistory>> AfterHistory { get; init; } =
        static (_, _, _) => ValueTask.FromResult(Streams.AfterHistory.Live);

    /// <summary>Before each live wait. The default: live items trusted, two quiet seconds send the reader back to the history.</summary>
    public Func<LiveWait> NextWait { get; init; } = static () => new LiveWait(true, TimeSpan.FromSeconds(2));

    /// <summary>After each live wait, whatever ended it, before the history is read again.</summary>
    public Func<CancellationToken, ValueTask> AfterWait { get; init; } = static _ => ValueTask.CompletedTask;

    public int PageSize { get; init; } = 500;

    /// <summary>Streams the items after <paramref name="after"/> until one ends the stream, the history says it is over, or the reader goes.</summary>
    public async Task RunAsync(long after, ChannelReader<T> live, CancellationToken cancellationToken)
    {
        var next = after + 1;
        while (true)
        {
            T? last = default;
            IReadOnlyList<T> page;
            do
            {
                page = await ReadHistory(next, PageSize, cancellationToken);
                foreach (var item in page)
                {
                    await Write(item);
                    next = SequenceOf(item) + 1;
                    last = item;
                    if (EndsInHistory(item))
                    {
                        await Flush();
                        return;
                    }
                }
                await Flush();
            }
            while (page.Count == PageSize);
            switch (await AfterHistory(last, next, cancellationToken))
            {
                case Streams.AfterHistory.Over:
                    return;
                case Streams.AfterHistory.ReadAgain:
                    continue;
            }

            var wait = NextWait();
            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            quiet.CancelAfter(wait.Quiet);
            using var interrupt = wait.Interrupt.Register(static state => ((CancellationTokenSource)state!).Cancel(), quiet);
            try
            {
                while (wait.Live && await live.WaitToReadAsync(quiet.Token))
                {
                    while (live.TryRead(out var item))
                    {
                        var sequence = SequenceOf(item);
                        if (sequence < next)
                        {
                            continue;
                        }
                        if (sequence > next)
                        {
                            // Missed one (this reader fell behind, or its live copy was lost): read it from the history.
                            await Flush();
                            goto History;
                        }
                        await Write(item);
                        next++;
                        if (EndsLive(item))
                        {
                            await Flush();
                            return;
                        }
                    }
                    await Flush();
                    // Quiet means no live item for a while, not a while since the wait began.
                    quiet.CancelAfter(wait.Quiet);
                }
                await Task.Delay(Timeout.Infinite, quiet.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            History:
            await AfterWait(cancellationToken);
        }
    }
}
