using System.Diagnostics;
using System.Runtime.InteropServices;

namespace AgentFleet.SessionRunner.Infrastructure;

/// <summary>POSIX signals to an agent: its whole process group, or every process of its sandbox uid.</summary>
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

    /// <summary>
    /// Signals every process running as <paramref name="uid"/>, atomically (kill(-1) as that uid), which reaches an
    /// agent's processes however they regrouped, and never bubblewrap around them: bubblewrap dies on SIGTERM and
    /// takes the sandbox with it, so a group signal would deny the agent its grace period.
    /// </summary>
    public static void User(int uid, int signal)
    {
        var id = uid.ToString();
        var start = new ProcessStartInfo("/usr/bin/setpriv") { UseShellExecute = false, RedirectStandardError = true };
        // procps kill reads "-s 15 -1" as two pids; "-15 -- -1" is its form for "signal 15 to every process".
        foreach (var argument in new[] { "--reuid", id, "--regid", id, "--clear-groups", "--", "/bin/kill", $"-{signal}", "--", "-1" })
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        // "No such process" just means the session has none left.
        process.StandardError.ReadToEnd();
        process.WaitForExit();
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
