using System.Collections.Concurrent;
using System.Text.Json;
using AgentFleet.AppHost.Infrastructure;

namespace AgentFleet.AppHost.Supervision;

/// <summary>
/// <c>.fleet/apphost/resources.json</c>: every resource's name, kind, state, health, pid, restarts and endpoints,
/// rewritten atomically on each change that <see cref="ResourceNotificationService"/> reports. Scripts and operators
/// read it; the tests wait on it.
/// </summary>
public sealed class ResourceSnapshotFile(
    ResourceNotificationService notifications,
    DistributedApplicationModel model,
    RestartOnExit restarts,
    LeftoverProcesses processes,
    SnapshotPath path) : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly ConcurrentDictionary<string, ResourceEntry> _entries = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Every resource from the start, so a reader never takes a partial list for the whole; hidden ones (the
        // dashboard, the project rebuilders) are Aspire's own.
        var shown = model.Resources
            .Where(r => r is not ParameterResource && r.Annotations.OfType<ResourceSnapshotAnnotation>().LastOrDefault()?.InitialSnapshot.IsHidden != true)
            .ToList();
        foreach (var resource in shown)
        {
            _entries[resource.Name] = new ResourceEntry(resource.Name, KindOf(resource, null), KnownResourceStates.Waiting, "Unknown", null, 0, new Dictionary<string, string>());
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path.Value)!);
        Write([.. shown.Select(r => _entries[r.Name])]);
        await foreach (var update in notifications.WatchAsync(stoppingToken))
        {
            var pid = ServingProcess.Of(update.Resource, update.Snapshot);
            // Every process DCP runs is recorded, the hidden dashboard's too, so that a run after a hard kill finds them.
            if (Started(update.Snapshot) is int started)
            {
                processes.Record(update.Resource.Name, started);
            }
            if (pid is int serving)
            {
                processes.Record(update.Resource.Name + "/service", serving);
            }
            if (update.Resource is ParameterResource || update.Snapshot.IsHidden || !_entries.ContainsKey(update.Resource.Name))
            {
                _entries.TryRemove(update.Resource.Name, out _);
                continue;
            }
            var snapshot = update.Snapshot;
            _entries[update.Resource.Name] = new ResourceEntry(
                update.Resource.Name,
                KindOf(update.Resource, snapshot),
                snapshot.State?.Text ?? "Unknown",
                snapshot.HealthStatus?.ToString() ?? "Unknown",
                pid,
                restarts.RestartsOf(update.Resource.Name),
                // Without a query string: the dashboard's carries its login token.
                snapshot.Urls.Where(u => !u.IsInternal && u.Name is not null && !u.IsInactive).GroupBy(u => u.Name!)
                    .ToDictionary(g => g.Key, g => g.First().Url.Split('?')[0]));
            Write([.. shown.Select(r => _entries.GetValueOrDefault(r.Name)).OfType<ResourceEntry>()]);
        }
    }

    private static int? Started(CustomResourceSnapshot snapshot) =>
        snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value?.ToString() is { } text && int.TryParse(text, out var pid) ? pid : null;

    private void Write(IReadOnlyList<ResourceEntry> entries)
    {
        var temporary = path.Value + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(entries, Json));
        File.Move(temporary, path.Value, overwrite: true);
    }

    private static string KindOf(IResource resource, CustomResourceSnapshot? snapshot) => resource switch
    {
        LocalPostgresResource => "postgres",
        LocalPostgresDatabaseResource => "database",
        LocalRedisResource => "redis",
        ProjectResource => "project",
        _ => snapshot?.ResourceType.ToLowerInvariant() ?? "resource",
    };

    private sealed record ResourceEntry(string Name, string Kind, string State, string Health, int? Pid, int Restarts, IReadOnlyDictionary<string, string> Endpoints);
}

/// <summary>Where the snapshot file goes.</summary>
public sealed record SnapshotPath(string Value);
