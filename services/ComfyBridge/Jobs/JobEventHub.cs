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

    public Subscription Subscribe(Guid? jobId, string? owner, bool allOwners)
    {
        var subscription = new Subscription(this, jobId, owner, allOwners);
        _subscriptions[subscription] = 0;
        return subscription;
    }

    public void Publish(JobEvent jobEvent, string? owner)
    {
        foreach (var subscription in _subscriptions.Keys)
        {
            if (subscription.Wants(jobEvent.WorkflowId, owner))
            {
                subscription.Writer.TryWrite(jobEvent);
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

        internal Subscription(JobEventHub hub, Guid? jobId, string? owner, bool allOwners)
        {
            _hub = hub;
            _jobId = jobId;
            _owner = owner;
            _allOwners = allOwners;
        }

        public ChannelReader<JobEvent> Reader => _channel.Reader;

        internal ChannelWriter<JobEvent> Writer => _channel.Writer;

        internal bool Wants(Guid jobId, string? owner) =>
            _jobId is { } only ? only == jobId : _allOwners || owner == _owner;

        public void Dispose() => _hub._subscriptions.TryRemove(this, out _);
    }
}
