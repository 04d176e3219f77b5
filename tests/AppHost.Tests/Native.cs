using System.Runtime.InteropServices;

namespace AgentFleet.AppHost.Tests;

internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
