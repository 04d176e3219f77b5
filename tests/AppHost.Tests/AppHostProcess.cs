using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using AgentFleet.Hosting.Orchestration;

namespace AgentFleet.AppHost.Tests;

/// <summary>The AppHost started as `dotnet AppHost.dll` in a fresh .fleet directory, its snapshot file read back.</summary>
public sealed class AppHostProcess : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private readonly bool _ownsFleetHome;

    private AppHostProcess(Process process, string fleetHome, bool ownsFleetHome)
    {
        _process = process;
        FleetHome = fleetHome;
        _ownsFleetHome = ownsFleetHome;
    }

    public string FleetHome { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the AppHost; in a new .fleet directory (removed on dispose) unless <paramref name="fleetHome"/> names one.</summary>
    public static AppHostProcess Start(IDictionary<string, string>? environment = null, string? fleetHome = null)
    {
        var assembly = typeof(AppHostProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "AssemblyPath:AppHost").Value!;
        var ownsFleetHome = fleetHome is null;
        fleetHome ??= Path.Combine(Path.GetTempPath(), $"fleet-apphost-test-{Guid.NewGuid():N}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(assembly);
        start.Environment["FLEET_HOME"] = fleetHome;
        start.Environment["GATEWAY_PORT"] = "0";
        start.Environment["GATEWAY_GRPC_PORT"] = "0";
        start.Environment["NO_COLOR"] = "1";
        start.Environment["FLEET_CONTAINERS"] = "never";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var process = new Process { StartInfo = start };
        var host = new AppHostProcess(process, fleetHome, ownsFleetHome);
        process.OutputDataReceived += (_, e) => host.Record(e.Data);
        process.ErrorDataReceived += (_, e) => host.Record(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    public IReadOnlyList<ResourceState> Snapshot()
    {
        var path = Path.Combine(FleetHome, "apphost", "resources.json");
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<List<ResourceState>>(File.ReadAllText(path), Json) ?? [] : [];
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return [];
        }
    }

    /// <summary>Polls the snapshot until <paramref name="condition"/> holds; fails with the AppHost's last output.</summary>
    public async Task<IReadOnlyList<ResourceState>> WaitForAsync(Func<IReadOnlyList<ResourceState>, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            var snapshot = Snapshot();
            if (snapshot.Count > 0 && condition(snapshot))
            {
                return snapshot;
            }
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
        Assert.Fail($"Timed out waiting until {what}.\nSnapshot: {JsonSerializer.Serialize(Snapshot())}\nLast output:\n{Tail()}");
        return [];
    }

    public string Tail(int lines = 60) => string.Join('\n', _output.TakeLast(lines));

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Stops the AppHost as an operator would (SIGTERM), by force only if that fails.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Native.Kill(_process.Id, 15);
            if (!await WaitForExitAsync(TimeSpan.FromSeconds(60)))
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        _process.Dispose();
        if (!_ownsFleetHome)
        {
            return;
        }
        try
        {
            Directory.Delete(FleetHome, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
