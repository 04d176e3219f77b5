using System.Text.Json;

namespace AgentFleet.AppHost.Supervision;

/// <summary>
/// The processes this AppHost's resources run, on disk (<c>.fleet/apphost/processes.json</c>), so that a run after a
/// hard kill can stop what the killed one left. DCP stops everything when the AppHost dies, but not when DCP dies with
/// it (a SIGKILL to the whole process group, the OOM killer): a PostgreSQL left running would keep its data directory.
/// A pid is matched with its kernel start time, so a pid reused by an unrelated process is never touched.
/// </summary>
public sealed class LeftoverProcesses(string path)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Records the resource's current process, replacing the one recorded for it before.</summary>
    public void Record(string resource, int pid)
    {
        lock (_gate)
        {
            if (ProcFs.StartTime(pid) is not long started || _entries.GetValueOrDefault(resource) == new Entry(pid, started))
            {
                return;
            }
            _entries[resource] = new Entry(pid, started);
            var temporary = path + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(_entries));
            File.Move(temporary, path, overwrite: true);
        }
    }

    /// <summary>Kills what an earlier run recorded and left running, with every descendant, and waits until it is gone.</summary>
    public static async Task StopLeftoversAsync(string path, TextWriter log)
    {
        if (!File.Exists(path))
        {
            return;
        }
        Dictionary<string, Entry> earlier;
        try
        {
            earlier = JsonSerializer.Deserialize<Dictionary<string, Entry>>(File.ReadAllText(path)) ?? [];
        }
        catch (JsonException)
        {
            // Written by an older AppHost (process groups by pid) or cut short: nothing in it can be matched safely.
            File.Delete(path);
            return;
        }
        var roots = earlier.Where(e => ProcFs.StartTime(e.Value.Pid) == e.Value.Started).ToList();
        var victims = ProcFs.Descendants(roots.Select(e => e.Value.Pid).ToHashSet());
        foreach (var (resource, entry) in roots)
        {
            log.WriteLine($"Stopping {resource} (pid {entry.Pid}), left running by an earlier AppHost that did not shut down.");
        }
        foreach (var pid in victims)
        {
            Native.Kill(pid, 9);
        }
        await ProcFs.WaitUntilGoneAsync(victims, TimeSpan.FromSeconds(10));
        File.Delete(path);
    }

    private sealed record Entry(int Pid, long Started);
}

internal static partial class Native
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
