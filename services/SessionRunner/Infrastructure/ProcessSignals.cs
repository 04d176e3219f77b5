using System.Runtime.InteropServices;

namespace AgentFleet.SessionRunner.Infrastructure;

/// <summary>POSIX signals to an agent's whole process group (the agent was started as a session leader).</summary>
public static partial class ProcessSignals
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;

    /// <summary>Signals every process in the group led by <paramref name="leaderPid"/>; a group already gone is not an error.</summary>
    public static void Group(int leaderPid, int signal)
    {
        // Right after the start, setsid may not have made the group yet: then signal the process itself.
        if (kill(-leaderPid, signal) != 0)
        {
            kill(leaderPid, signal);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
