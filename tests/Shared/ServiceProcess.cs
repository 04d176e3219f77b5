using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace AgentFleet.Testing;

/// <summary>
/// A service started as `dotnet Service.dll`, as the AppHost starts it, with the configuration it would inject;
/// ready once its <c>/health</c> answers. For tests and benchmarks that need services as real processes.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServiceProcess(Process process, string httpUrl)
    {
        _process = process;
        HttpUrl = httpUrl;
    }

    public string HttpUrl { get; }

    public int Pid => _process.Id;

    public string Output => string.Join('\n', _output);

    /// <summary>
    /// Starts the service <paramref name="name"/> that <paramref name="referencing"/> references with
    /// <c>EmbedAssemblyPath="true"</c>; the environment must name its <c>Kestrel__Endpoints__http__Url</c>.
    /// </summary>
    public static async Task<ServiceProcess> StartAsync(Assembly referencing, string name, IDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var assembly = referencing.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == $"AssemblyPath:{name}").Value!;
        var httpUrl = environment.TryGetValue("Kestrel__Endpoints__http__Url", out var url) ? url : throw new ArgumentException("an http endpoint is required");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(assembly)! };
        start.ArgumentList.Add(assembly);
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var process = new Process { StartInfo = start };
        var service = new ServiceProcess(process, httpUrl);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) service._output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) service._output.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await service.WaitHealthyAsync(cancellationToken);
        return service;
    }

    private async Task WaitHealthyAsync(CancellationToken cancellationToken)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The service exited with {_process.ExitCode}:\n{Output}");
            }
            try
            {
                using var response = await client.GetAsync($"{HttpUrl}/health", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            await Task.Delay(200, cancellationToken);
        }
        throw new TimeoutException($"The service did not become healthy:\n{Output}");
    }

    /// <summary>SIGKILL: no shutdown code runs, as when the machine or the OOM killer takes it.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM first: the graceful path stops agents; SIGKILL if that takes too long.
            ProcessGroup.SignalProcess(_process.Id, Signals.SIGTERM);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
    }
}
