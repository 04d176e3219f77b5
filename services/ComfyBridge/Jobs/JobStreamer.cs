using AgentFleet.ComfyBridge.Model;

namespace AgentFleet.ComfyBridge.Jobs;

/// <summary>
/// One client's stream of a job: its history from PostgreSQL after a sequence, then live events, deduplicated and
/// gap-filled by sequence number, so every event arrives once and in order, until the event that ends the job.
/// </summary>
public sealed class JobStreamer(JobStore store, JobEventHub hub)
{
    private const int PageSize = 500;
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);

    public async Task StreamAsync(Guid jobId, long after, Func<JobEvent, ValueTask> write, Func<ValueTask> flush, CancellationToken cancellationToken)
    {
        // Subscribed before the history is read, so nothing published in between is missed.
        using var live = hub.Subscribe(jobId, null, allOwners: false);
        var next = after + 1;
        var seenFinal = false;
        while (true)
        {
            List<JobEvent> page;
            do
            {
                page = await store.ReadEventsAsync(jobId, next, PageSize, cancellationToken);
                foreach (var jobEvent in page)
                {
                    await write(jobEvent);
                    next = jobEvent.Sequence + 1;
                    if (jobEvent.EndsJob)
                    {
                        await flush();
                        return;
                    }
                }
                await flush();
            }
            while (page.Count == PageSize);
            // The end is written with the final status, so a final job whose history is read out after the status was
            // seen final has nothing more to give: a client that resumes after the end (or past it) is done. Seen
            // final only now, the end may have been committed after that read: one more pass picks it up.
            if (seenFinal)
            {
                return;
            }
            if (await store.ReadStatusAsync(jobId, cancellationToken) is not { } status)
            {
                return;
            }
            if (JobStatus.IsFinal(status))
            {
                seenFinal = true;
                continue;
            }

            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            quiet.CancelAfter(Quiet);
            try
            {
                while (await live.Reader.WaitToReadAsync(quiet.Token))
                {
                    while (live.Reader.TryRead(out var jobEvent))
                    {
                        if (jobEvent.Sequence < next)
                        {
                            continue;
                        }
                        if (jobEvent.Sequence > next)
                        {
                            // Missed one (this subscriber fell behind): read it back from the history.
                            goto History;
                        }
                        await write(jobEvent);
                        next++;
                        if (jobEvent.EndsJob)
                        {
                            await flush();
                            return;
                        }
                    }
                    await flush();
                    quiet.CancelAfter(Quiet);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Quiet for a while: look at the history again, in case this replica is not the one following the job.
            }
            History:;
        }
    }
}
