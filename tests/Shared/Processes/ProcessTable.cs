namespace AgentFleet.Testing;

/// <summary>Reads /proc: which processes exist, their parents and process groups.</summary>
public static class ProcessTable
{
    /// <summary>
    /// Every live process in one of <paramref name="groups"/> or descended from a group leader: PostgreSQL's
    /// backends start sessions of their own, so group membership alone would miss them.
    /// </summary>
    public static HashSet<int> MembersOf(IReadOnlySet<int> groups)
    {
        var parents = new Dictionary<int, int>();
        var members = new HashSet<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && ReadStat(pid) is { } fields
                && int.TryParse(fields[1], out var parent) && int.TryParse(fields[2], out var group))
            {
                parents[pid] = parent;
                if (groups.Contains(group))
                {
                    members.Add(pid);
                }
            }
        }
        foreach (var pid in parents.Keys)
        {
            for (var ancestor = pid; parents.TryGetValue(ancestor, out var parent) && ancestor > 1; ancestor = parent)
            {
                if (groups.Contains(ancestor))
                {
                    members.Add(pid);
                    break;
                }
            }
        }
        return members;
    }

    /// <summary>True while the pid names a process that has not exited (a zombie counts as gone).</summary>
    public static bool IsAlive(int pid)
    {
        var stat = ReadStat(pid);
        return stat is not null && stat[0] is not ("Z" or "X");
    }

    /// <summary>Field 22 of /proc/pid/stat: when the process started, in clock ticks since boot; with the pid, an identity.</summary>
    public static long? StartTime(int pid) => ReadStat(pid) is { } fields && long.TryParse(fields[19], out var ticks) ? ticks : null;

    /// <summary>
    /// Waits until none of <paramref name="pids"/> exists, reaped zombies included (PostgreSQL takes a
    /// zombie named in its lock file for a live postmaster), or the timeout passes; true when all are gone.
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

    /// <summary>The fields after "(comm)" in /proc/pid/stat: state, ppid, pgrp, ...</summary>
    private static string[]? ReadStat(int pid)
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
