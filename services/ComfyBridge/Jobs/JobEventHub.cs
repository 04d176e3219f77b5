using System.Collections.Concurrent;
using System.Threading.Channels;
using AgentFleet.ComfyBridge.Model;

namespace AgentFleet.ComfyBridge.Jobs;

/// <summary>
/// Live delivery of job events inside the bridge, after they are persisted. A subscriber follows one job or every job
/// of an owner (null: everyone's, for an admin). A subscriber that falls 1,024 events behind loses the newest ones
/// here; the streams notice the gap by sequence number and read it back from PostgreSQL.
/// </summary>
public sealed class JobEventHub
{
    private readonly ConcurrentDictionary<Subscription, byte> _subscriptions = new();

    /// <summary>With <paramref name="previews"/>, a subscription to a job's preview images only (read from <see cref="Subscription.Previews"/>).</summary>
    public Subscription Subscribe(Guid? jobId, string? owner, bool allOwners, bool previews = false)
    {
        var subscription = new Subscription(this, jobId, owner, allOwners, previews);
        _subscriptions[subscription] = 0;
        return subscription;
    }

    public void Publish(JobEvent jobEvent, string? owner)
    {
        foreach (var subscription in _subscriptions.Keys)
        {
            // A previews subscription sits beside the stream that carries the events; it is never read for them.
            if (subscription.PreviewWriter is null && subscription.Wants(jobEvent.WorkflowId, owner))
            {
                subscription.Writer.TryWrite(jobEvent);
            }
        }
    }

    /// <summary>A live preview image of a running job, to subscribers that asked for previews; never persisted.</summary>
    public void PublishPreview(Guid jobId, ComfyBridge.ComfyUi.PreviewImage preview)
    {
        foreach (var subscription in _subscriptions.Keys)
        {
            if (subscription.PreviewWriter is { } writer && subscription.Wants(jobId, null))
            {
                writer.TryWrite(preview);
            }
        }
    }

    public sealed class Subscription : IDisposable
    {
        private readonly JobEventHub _hub;
        private readonly Channel<JobEvent> _channel = Channel.CreateBounded<JobEvent>(new BoundedChannelOptions(1024) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
        private readonly Guid? _jobId;
        private readonly string? _owner;
        private readonly bool _allOwners;

        // Previews are only ever wanted fresh: a slow client skips frames rather than falling behind.
        private readonly Channel<ComfyBridge.ComfyUi.PreviewImage>? _previews;

        internal Subscription(JobEventHub hub, Guid? jobId, string? owner, bool allOwners, bool previews)
        {
            _previews = previews ? Channel.CreateBounded<ComfyBridge.ComfyUi.PreviewImage>(new BoundedChannelOptions(4) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest }) : null;
            _hub = hub;
            _jobId = jobId;
            _owner = owner;
            _allOwners = allOwners;
        }

        public ChannelReader<JobEvent> Reader => _channel.Reader;

        public ChannelReader<ComfyBridge.ComfyUi.PreviewImage>? Previews => _previews?.Reader;

        internal ChannelWriter<ComfyBridge.ComfyUi.PreviewImage>? PreviewWriter => _previews?.Writer;

        internal ChannelWriter<JobEvent> Writer => _channel.Writer;

        internal bool Wants(Guid jobId, string? owner) =>
            _jobId is { } only ? only == jobId : _allOwners || (owner is not null && owner == _owner);

        public void Dispose() => _hub._subscriptions.TryRemove(this, out _);
    }
}
