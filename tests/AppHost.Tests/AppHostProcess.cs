using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using AgentFleet.Testing;

namespace AgentFleet.AppHost.Tests;

/// <summary>
/// The AppHost started as `dotnet AppHost.dll`, as `dotnet run --project AppHost` starts it, with the dashboard on
/// free loopback ports, in a fresh .fleet directory; its snapshot file read back.
/// </summary>
public sealed class AppHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly bool _ownsFleetHome;

    private AppHostProcess(Process process, string fleetHome, bool ownsFleetHome, int dashboardPort)
    {
        _process = process;
        FleetHome = fleetHome;
        _ownsFleetHome = ownsFleetHome;
        DashboardPort = dashboardPort;
    }

    public string FleetHome { get; }
    public int DashboardPort { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public static string AssemblyPath =>
        typeof(AppHostProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "AssemblyPath:AppHost").Value!;

    /// <summary>Starts the AppHost; in a new .fleet directory (removed on dispose) unless <paramref name="fleetHome"/> names one.</summary>
    public static AppHostProcess Start(IDictionary<string, string>? environment = null, string? fleetHome = null, params string[] arguments)
    {
        var ownsFleetHome = fleetHome is null;
        fleetHome ??= Path.Combine(Path.GetTempPath(), $"fleet-apphost-test-{Guid.NewGuid():N}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(AssemblyPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        var dashboard = PortAllocator.GetFreePort();
        // What AppHost/Properties/launchSettings.json gives `dotnet run`, on free ports.
        start.Environment["ASPNETCORE_URLS"] = $"http://localhost:{dashboard}";
        start.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://localhost:{PortAllocator.GetFreePort()}";
        start.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://localhost:{PortAllocator.GetFreePort()}";
        start.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["FLEET_HOME"] = fleetHome;
        start.Environment["GATEWAY_PORT"] = "0";
        start.Environment["GATEWAY_GRPC_PORT"] = "0";
        start.Environment["AGENT_CONTROL_PORT"] = "0";
        start.Environment["NO_COLOR"] = "1";
        start.Environment["FLEET_CONTAINERS"] = "never";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var process = new Process { StartInfo = start };
        var host = new AppHostProcess(process, fleetHome, ownsFleetHome, dashboard);
        process.OutputDataReceived += (_, e) => host.Record(e.Data);
        process.ErrorDataReceived += (_, e) => host.Record(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    public IReadOnlyList<ResourceState> Snapshot() => ResourceSnapshot.Read(FleetHome);

    /// <summary>Polls the snapshot until <paramref name="condition"/> holds; fails with the AppHost's last output.</summary>
    public Task<IReadOnlyList<ResourceState>> WaitForAsync(Func<IReadOnlyList<ResourceState>, bool> condition, TimeSpan timeout, string what) =>
        ResourceSnapshot.WaitForAsync(FleetHome, s => !_process.HasExited && condition(s), timeout, what, () => $"Last output:\n{Tail()}");

    /// <summary>
    /// Every process this run has: DCP (started detached, so not our child), what it runs, and their descendants
    /// (PostgreSQL's backends, the agents).
    /// </summary>
    public HashSet<int> Processes()
    {
        var roots = Snapshot().Where(r => r.Pid is not null).Select(r => r.Pid!.Value).ToHashSet();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && CommandLine(pid) is { } command
                && command.Contains("dcp") && command.Contains($"--monitor {Pid}"))
            {
                roots.Add(pid);
            }
        }
        return ProcessTable.MembersOf(roots);
    }

    public static string? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
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
            var processes = Processes();
            Native.Kill(_process.Id, 15);
            if (!await WaitForExitAsync(TimeSpan.FromSeconds(60)))
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            await ProcessTable.WaitUntilGoneAsync(processes, TimeSpan.FromSeconds(30));
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
