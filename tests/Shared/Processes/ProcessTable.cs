using AgentFleet.AppHost.Supervision;

namespace AgentFleet.Testing;

/// <summary>Reads /proc: which processes exist, their parents and process groups.</summary>
public static class ProcessTable
{
    /// <summary>
    /// Every live process in one of <paramref name="groups"/> or descended from a group leader: PostgreSQL's
    /// backends start sessions of their own, so group membership alone would miss them.
    /// </summary>
    public static HashSet<int> MembersOf(IReadOnlySet<int> groups) => ProcFs.Descendants(groups, withGroups: true);

    /// <summary>True while the pid names a process that has not exited (a zombie counts as gone).</summary>
    public static bool IsAlive(int pid)
    {
        var stat = ProcFs.Stat(pid);
        return stat is not null && stat[0] is not ("Z" or "X");
    }

    /// <inheritdoc cref="ProcFs.WaitUntilGoneAsync"/>
    public static Task<bool> WaitUntilGoneAsync(IEnumerable<int> pids, TimeSpan timeout) => ProcFs.WaitUntilGoneAsync(pids, timeout);
}
