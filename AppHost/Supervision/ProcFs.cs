namespace AgentFleet.AppHost.Supervision;

/// <summary>What /proc says of processes: their parents, process groups and start times.</summary>
public static class ProcFs
{
    /// <summary>Field 22 of /proc/pid/stat: when the process started, in clock ticks since boot; with the pid, an identity.</summary>
    public static long? StartTime(int pid) => Stat(pid) is { } fields && long.TryParse(fields[19], out var ticks) ? ticks : null;

    /// <summary>
    /// Every live process that is one of <paramref name="roots"/> or descends from one, and with
    /// <paramref name="withGroups"/> also every member of a process group a root leads (PostgreSQL's backends start
    /// sessions of their own, so descent alone would miss them in a group's count, and the group alone in a tree's).
    /// </summary>
    public static HashSet<int> Descendants(IReadOnlySet<int> roots, bool withGroups = false)
    {
        var parents = new Dictionary<int, int>();
        var found = new HashSet<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && Stat(pid) is { } fields
                && int.TryParse(fields[1], out var parent) && int.TryParse(fields[2], out var group))
            {
                parents[pid] = parent;
                if (withGroups && roots.Contains(group))
                {
                    found.Add(pid);
                }
            }
        }
        foreach (var pid in parents.Keys)
        {
            for (var ancestor = pid; ancestor > 1 && parents.ContainsKey(ancestor); ancestor = parents[ancestor])
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

    /// <summary>
    /// Waits until none of <paramref name="pids"/> exists, reaped zombies included (PostgreSQL takes a zombie named in
    /// its lock file for a live postmaster), or the timeout passes; true when all are gone.
    /// </summary>
    public static async Task<bool> WaitUntilGoneAsync(IEnumerable<int> pids, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var remaining = pids.ToList();
        while ((remaining = [.. remaining.Where(pid => Directory.Exists($"/proc/{pid}"))]).Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        return remaining.Count == 0;
    }

    /// <summary>The fields after "(comm)" in /proc/pid/stat: state, ppid, pgrp, ...; null once the process is gone.</summary>
    public static string[]? Stat(int pid)
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
}
