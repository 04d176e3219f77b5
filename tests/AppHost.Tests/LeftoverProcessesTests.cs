using System.Diagnostics;
using AgentFleet.AppHost.Supervision;
using AgentFleet.Testing;

namespace AgentFleet.AppHost.Tests;

/// <summary>What a run finds of the processes a killed run recorded: its own are stopped, nothing else is touched.</summary>
public sealed class LeftoverProcessesTests
{
    [Fact]
    public async Task ARecordedProcessStillRunningIsStoppedWithItsChildrenAndAReusedPidIsLeftAlone()
    {
        var directory = Directory.CreateTempSubdirectory("fleet-leftovers-").FullName;
        var path = Path.Combine(directory, "processes.json");
        using var leftover = Process.Start("sh", ["-c", "sleep 300 & wait"]);
        using var stranger = Process.Start("sleep", ["300"]);
        try
        {
            var ledger = new LeftoverProcesses(path);
            ledger.Record("postgres", leftover.Id);
            ledger.Record("redis", stranger.Id);
            // The stranger's entry is rewritten as if its pid had been another process's, started at another time.
            File.WriteAllText(path, File.ReadAllText(path).Replace($"\"Pid\":{stranger.Id},\"Started\":", $"\"Pid\":{stranger.Id},\"Started\":1"));
            await Task.Delay(200, TestContext.Current.CancellationToken);
            var child = ProcessTable.MembersOf(new HashSet<int> { leftover.Id }).Single(pid => pid != leftover.Id);

            using var log = new StringWriter();
            await LeftoverProcesses.StopLeftoversAsync(path, log);

            Assert.True(leftover.WaitForExit(5_000));
            Assert.False(ProcessTable.IsAlive(child), "the leftover's child is still running");
            Assert.False(stranger.HasExited, "a process that only shares a recorded pid was killed");
            Assert.Contains($"Stopping postgres (pid {leftover.Id})", log.ToString());
            Assert.False(File.Exists(path));
        }
        finally
        {
            stranger.Kill(entireProcessTree: true);
            leftover.Kill(entireProcessTree: true);
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task ALedgerInAnOlderFormatIsSetAsideNotFailedOn()
    {
        var directory = Directory.CreateTempSubdirectory("fleet-leftovers-").FullName;
        var path = Path.Combine(directory, "processes.json");
        // What the AppHost before Aspire wrote: process groups by pid and start time.
        File.WriteAllText(path, """{"12345": 987654}""");

        await LeftoverProcesses.StopLeftoversAsync(path, TextWriter.Null);

        Assert.False(File.Exists(path));
        Directory.Delete(directory, recursive: true);
    }
}
