using AgentFleet.ComfyBridge.Model;
using AgentFleet.ServiceDefaults.Streams;

namespace AgentFleet.ComfyBridge.Jobs;

/// <summary>
/// One client's stream of a job: its history from PostgreSQL after a sequence, then live events (a
/// <see cref="SequencedStream{T}"/>), until the event that ends the job.
/// </summary>
public sealed class JobStreamer(JobStore store, JobEventHub hub)
{
    public async Task StreamAsync(Guid jobId, long after, Func<JobEvent, ValueTask> write, Func<ValueTask> flush, CancellationToken cancellationToken)
    {
        // Subscribed before the history is read, so nothing published in between is missed.
        using var live = hub.Subscribe(jobId, null, allOwners: false);
        var seenFinal = false;
        var stream = new SequencedStream<JobEvent>
        {
            ReadHistory = async (from, limit, ct) => await store.ReadEventsAsync(jobId, from, limit, ct),
            SequenceOf = static e => e.Sequence,
            Write = write,
            Flush = flush,
            EndsInHistory = static e => e.EndsJob,
            EndsLive = static e => e.EndsJob,
            AfterHistory = async (_, _, ct) =>
            {
                // The end is written with the final status, so a final job whose history is read out after the status was
                // seen final has nothing more to give: a client that resumes after the end (or past it) is done. Seen
                // final only now, the end may have been committed after that read: one more pass picks it up.
                if (seenFinal || await store.ReadStatusAsync(jobId, ct) is not { } status)
                {
                    return AfterHistory.Over;
                }
                seenFinal = JobStatus.IsFinal(status);
                return seenFinal ? AfterHistory.ReadAgain : AfterHistory.Live;
            },
            // A quiet spell looks at the history again: another replica may follow the job, and Redis, which brings its
            // events here live (BridgeBus), may be away or not configured.
            NextWait = static () => new LiveWait(true, TimeSpan.FromSeconds(2)),
        };
        await stream.RunAsync(after, live.Reader, cancellationToken);
    }
}
