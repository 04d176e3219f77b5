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
            if (StartTime(pid) is not long started || _entries.GetValueOrDefault(resource) == new Entry(pid, started))
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
    public static void StopLeftovers(string path, TextWriter log)
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
        var roots = earlier.Where(e => StartTime(e.Value.Pid) == e.Value.Started).ToList();
        var victims = Descendants(roots.Select(e => e.Value.Pid).ToHashSet());
        foreach (var (resource, entry) in roots)
        {
            log.WriteLine($"Stopping {resource} (pid {entry.Pid}), left running by an earlier AppHost that did not shut down.");
        }
        foreach (var pid in victims)
        {
            Native.Kill(pid, 9);
        }
        // PostgreSQL takes a zombie named in its lock file for a live postmaster: wait until each is reaped.
        for (var deadline = DateTime.UtcNow.AddSeconds(10); victims.Any(pid => Directory.Exists($"/proc/{pid}")) && DateTime.UtcNow < deadline;)
        {
            Thread.Sleep(50);
        }
        File.Delete(path);
    }

    private static HashSet<int> Descendants(HashSet<int> roots)
    {
        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && Stat(pid) is { } fields && int.TryParse(fields[1], out var parent))
            {
                parents[pid] = parent;
            }
        }
        var found = new HashSet<int>();
        foreach (var pid in parents.Keys)
        {
            for (var ancestor = pid; ancestor > 1; ancestor = parents.GetValueOrDefault(ancestor))
            {
                if (roots.Contains(ancestor))
                {
                    found.Add(pid);
                    break;
                }
            }
        }
        return found;
    }

    // Field 22 of /proc/pid/stat: when the process started, in clock ticks since boot.
    private static long? StartTime(int pid) => Stat(pid) is { } fields && long.TryParse(fields[19], out var ticks) ? ticks : null;

    // The fields after "(comm)": state, ppid, pgrp, ...
    private static string[]? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private sealed record Entry(int Pid, long Started);
}

internal static partial class Native
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
