using System.Text.Json;
using AgentFleet.Hosting.ApplicationModel;

namespace AgentFleet.Hosting.Orchestration;

/// <summary>
/// The current state of every resource. Each change rewrites the snapshot file atomically and tells the
/// listeners (the status table); waits on "healthy" are answered here too.
/// </summary>
public sealed class ResourceStateStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly Lock _gate = new();
    private readonly Dictionary<string, ResourceState> _states = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource> _firstHealthy = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly string _snapshotPath;

    public ResourceStateStore(IEnumerable<Resource> resources, string snapshotPath)
    {
        _snapshotPath = snapshotPath;
        foreach (var resource in resources)
        {
            _order.Add(resource.Name);
            _states[resource.Name] = new ResourceState(resource.Name, resource.Kind, States.Waiting, HealthStates.Unknown, null, 0,
                resource.Endpoints.ToDictionary(e => e.Name, e => e.Url));
            _firstHealthy[resource.Name] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(snapshotPath)!);
        WriteSnapshot();
    }

    public event Action? Changed;

    public IReadOnlyList<ResourceState> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _order.Select(name => _states[name])];
            }
        }
    }

    public void Update(string name, Func<ResourceState, ResourceState> change)
    {
        lock (_gate)
        {
            var before = _states[name];
            var after = change(before);
            if (after.State == before.State && after.Health == before.Health && after.Pid == before.Pid && after.Restarts == before.Restarts)
            {
                return;
            }
            _states[name] = after;
            if (after.Health == HealthStates.Healthy)
            {
                _firstHealthy[name].TrySetResult();
            }
            WriteSnapshot();
        }
        Changed?.Invoke();
    }

    /// <summary>Completes once the resource has been healthy at least once.</summary>
    public Task WhenFirstHealthy(string name, CancellationToken cancellationToken) =>
        _firstHealthy[name].Task.WaitAsync(cancellationToken);

    private void WriteSnapshot()
    {
        var temporary = _snapshotPath + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(_order.Select(name => _states[name]), Json));
        File.Move(temporary, _snapshotPath, overwrite: true);
    }
}
