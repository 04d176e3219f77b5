using System.Diagnostics;
using System.Runtime.InteropServices;

namespace AgentFleet.Testing;

/// <summary>
/// A process started in a session of its own (through <c>setsid</c>), so that it and every process it
/// starts share one process group we can signal together: nothing it forks outlives a stop.
/// </summary>
public sealed partial class ProcessGroup : IDisposable
{
    private readonly Process _process;
    private readonly int _stopSignal;

    // Completed from the Exited event, so waiting on the exit never touches the Process object,
    // which its owner may dispose while a stop is still waiting.
    private readonly TaskCompletionSource<int> _exited;

    private ProcessGroup(Process process, int stopSignal, TaskCompletionSource<int> exited)
    {
        _process = process;
        _stopSignal = stopSignal;
        _exited = exited;
        Pid = process.Id;
    }

    /// <summary>The leader's pid, which is also the group id.</summary>
    public int Pid { get; }

    public bool HasExited => _exited.Task.IsCompleted;

    public int ExitCode => _exited.Task.Result;

    public static ProcessGroup Start(LaunchSpec spec, IReadOnlyDictionary<string, string> environment)
    {
        // setsid execs the program in place (our child is never a group leader), so the pid is the program's.
        var start = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = spec.WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(spec.FileName);
        foreach (var argument in spec.Arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var exited = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => exited.TrySetResult(process.ExitCode);
        // Server output is not test output: it is read only so the pipes never fill.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ProcessGroup(process, spec.StopSignal, exited);
    }

    public Task<int> WaitForExitAsync(CancellationToken cancellationToken = default) => _exited.Task.WaitAsync(cancellationToken);

    /// <summary>The graceful signal to the whole group; SIGKILL to what is left after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Signal(_stopSignal);
        try
        {
            await _exited.Task.WaitAsync(grace);
        }
        catch (TimeoutException)
        {
        }
        // Also ends stragglers the leader left behind in its group.
        Signal(Signals.SIGKILL);
        await _exited.Task;
    }

    /// <summary>Sends a signal to every process in the group; a group already gone is not an error.</summary>
    public void Signal(int signal)
    {
        // Right after the start, setsid may not have made the group yet: then signal the process itself.
        if (kill(-Pid, signal) != 0)
        {
            kill(Pid, signal);
        }
    }

    public static void SignalGroup(int groupId, int signal) => kill(-groupId, signal);

    public static void SignalProcess(int pid, int signal) => kill(pid, signal);

    public void Dispose() => _process.Dispose();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
