namespace AgentFleet.ComfyBridge.Jobs;

/// <summary>
/// A job the bridge is following while it is in flight. Every change to it (an event numbered, a status written)
/// happens under <see cref="Gate"/>, so its sequence numbers are gapless and its transitions happen once.
/// </summary>
internal sealed class TrackedJob(JobRow row, long lastSequence, bool submitting)
{
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public JobRow Row { get; set; } = row;

    public long LastSequence { get; set; } = lastSequence;

    /// <summary>True while its prompt is being handed to ComfyUI: a reconcile must not take its absence from the queue for a loss.</summary>
    public volatile bool Submitting = submitting;

    /// <summary>Completes when the job reaches a final status.</summary>
    public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
