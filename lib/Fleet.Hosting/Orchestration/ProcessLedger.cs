using System.Text.Json;
using AgentFleet.Hosting.ApplicationModel;
using AgentFleet.Hosting.Console;

namespace AgentFleet.Hosting.Orchestration;

/// <summary>
/// The process groups this AppHost started, on disk, so that a run after a hard kill of the AppHost
/// (SIGKILL, power loss of the terminal) can stop what the killed one left running. A pid is matched
/// with its kernel start time, so a pid reused by an unrelated process is never touched.
/// </summary>
public sealed class ProcessLedger(string path)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, long> _entries = [];

    public void Add(int pid)
    {
        lock (_gate)
        {
            if (ProcessTable.StartTime(pid) is long started)
            {
                _entries[pid] = started;
                Save();
            }
        }
    }

    public void Remove(int pid)
    {
        lock (_gate)
        {
            if (_entries.Remove(pid))
            {
                Save();
            }
        }
    }

    /// <summary>
    /// Kills what an earlier run recorded and left running, with every descendant (PostgreSQL's backends
    /// start sessions of their own), and waits until it is gone; returns how many groups it found.
    /// </summary>
    public async Task<int> StopLeftoversAsync(ConsoleLog log)
    {
        if (!File.Exists(path))
        {
            return 0;
        }
        var earlier = JsonSerializer.Deserialize<Dictionary<int, long>>(File.ReadAllText(path)) ?? [];
        var groups = earlier.Where(e => ProcessTable.StartTime(e.Key) == e.Value).Select(e => e.Key).ToHashSet();
        var processes = ProcessTable.MembersOf(groups);
        foreach (var group in groups)
        {
            log.System($"Stopping process group {group}, left running by an earlier AppHost that did not shut down.");
        }
        foreach (var pid in processes)
        {
            ProcessGroup.SignalProcess(pid, Signals.SIGKILL);
        }
        await ProcessTable.WaitUntilGoneAsync(processes, TimeSpan.FromSeconds(10));
        File.Delete(path);
        return groups.Count;
    }

    private void Save()
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(_entries));
        File.Move(temporary, path, overwrite: true);
    }
}
