using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace AgentFleet.Grpc.Tests.Fixtures;

/// <summary>Runs tests/Grpc.Tests/interop/interop.js (@grpc/grpc-js) under node.</summary>
public sealed class NodeInterop : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _errors = new();

    private NodeInterop(Process process)
    {
        _process = process;
    }

    public static string Directory { get; } = typeof(NodeInterop).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "InteropDirectory").Value!;

    public static NodeInterop Start(params string[] arguments)
    {
        AgentFleet.AppHost.Agents.NpmPackages.EnsureInstalled(Directory);
        var start = new ProcessStartInfo("node") { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add("interop.js");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        var process = new Process { StartInfo = start };
        var node = new NodeInterop(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) node._lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) node._errors.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>The first output line matching <paramref name="predicate"/>, waited for up to <paramref name="timeout"/>.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_lines.FirstOrDefault(predicate) is { } line)
            {
                return line;
            }
            if (_process.HasExited && _lines.FirstOrDefault(predicate) is null)
            {
                break;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"node printed no such line. stdout: {string.Join('\n', _lines)}\nstderr: {string.Join('\n', _errors)}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
    }
}
