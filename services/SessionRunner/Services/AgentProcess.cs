using System.Diagnostics;
using System.Text;
using AgentFleet.SessionRunner.Infrastructure;

namespace AgentFleet.SessionRunner.Services;

/// <summary>
/// One agent process: started through <c>setsid</c> with an argument vector (never a shell) so it leads its own
/// process group, its stdout and stderr read line by line into the raw log and the parser.
/// </summary>
public sealed class AgentProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<int> _exited;
    private readonly int? _uid;

    private AgentProcess(Process process, Task<int> exited, int? uid)
    {
        _process = process;
        _exited = exited;
        _uid = uid;
        Pid = process.Id;
    }

    public int Pid { get; }

    public Task<int> Exited => _exited;

    public static AgentProcess Start(string program, IReadOnlyList<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string> environment, int? uid)
    {
        // setsid execs the program in place (our child is never a group leader), so the pid is the agent's.
        var start = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(program);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment.Clear();
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var exited = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => exited.TrySetResult(process.ExitCode);
        process.Start();
        // Headless agents get no input: an agent that asks for some sees end-of-file instead of hanging.
        process.StandardInput.Close();
        return new AgentProcess(process, exited.Task, uid);
    }

    /// <summary>
    /// Reads both streams to their end, handing each line to <paramref name="onLine"/> in order per stream, and
    /// copying it to the raw log. Returns the exit code once the agent and every stream are done.
    /// </summary>
    public async Task<int> PumpAsync(string logPath, int maxLineLength, Func<string, bool, Task> onLine)
    {
        await using var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), new UTF8Encoding(false));
        var logGate = new SemaphoreSlim(1, 1);
        async Task ReadAsync(StreamReader reader, bool isStandardError)
        {
            await foreach (var line in BoundedLines.ReadAsync(reader, maxLineLength))
            {
                await logGate.WaitAsync();
                try
                {
                    await log.WriteLineAsync(line);
                    await log.FlushAsync();
                }
                finally
                {
                    logGate.Release();
                }
                await onLine(line, isStandardError);
            }
        }
        var readers = Task.WhenAll(ReadAsync(_process.StandardOutput, false), ReadAsync(_process.StandardError, true));
        var exitCode = await _exited;
        // Whatever the agent left running in its group would hold the pipes open and outlive the session.
        Signal(ProcessSignals.SIGKILL);
        await readers;
        return exitCode;
    }

    /// <summary>
    /// Signals the agent. Unconfined, that is its process group. Sandboxed, it is every process of its uid (which
    /// reaches what left the group too) and, except for SIGTERM, the group as well, so bubblewrap pauses and dies
    /// with it: bubblewrap ends the sandbox at once on SIGTERM, which would take the agent's grace period away.
    /// </summary>
    public void Signal(int signal)
    {
        if (_uid is not { } uid)
        {
            ProcessSignals.Group(Pid, signal);
            return;
        }
        ProcessSignals.User(uid, signal);
        if (signal != ProcessSignals.SIGTERM)
        {
            ProcessSignals.Group(Pid, signal);
        }
    }

    public void Dispose() => _process.Dispose();
}
