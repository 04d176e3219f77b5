using AgentFleet.Hosting.ApplicationModel;
using AgentFleet.Hosting.Console;

namespace AgentFleet.Hosting.Orchestration;

/// <summary>
/// Starts each resource once what it waits for is healthy, watches its health, restarts a process that
/// exits with exponential backoff, and on shutdown stops everything in reverse declaration order.
/// </summary>
public sealed class Orchestrator(IReadOnlyList<Resource> resources, HostingContext context, ResourceStateStore states, ProcessLedger ledger, ConsoleLog log)
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, ProcessGroup> _running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _supervisors = [];
    private bool _stopped;

    public void Start()
    {
        foreach (var resource in resources)
        {
            Task supervisor = resource switch
            {
                ProcessResource process => Task.Run(() => SuperviseAsync(process, _stopping.Token)),
                SetupResource setup => Task.Run(() => RunSetupAsync(setup, _stopping.Token)),
                _ => Task.CompletedTask,
            };
            _supervisors.Add(supervisor);
        }
    }

    /// <summary>Stops processes last-declared first (gateway, services, then infrastructure) and waits for each.</summary>
    public async Task StopAsync()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }
            _stopped = true;
        }
        await _stopping.CancelAsync();
        foreach (var resource in resources.Reverse())
        {
            ProcessGroup? group;
            lock (_gate)
            {
                _running.Remove(resource.Name, out group);
            }
            if (group is not null)
            {
                states.Update(resource.Name, s => s with { State = States.Stopping });
                await group.StopAsync(StopGrace);
            }
            states.Update(resource.Name, s => s with { State = States.Stopped, Health = HealthStates.Unknown, Pid = null });
        }
        await Task.WhenAll(_supervisors);
    }

    private async Task SuperviseAsync(ProcessResource resource, CancellationToken stopping)
    {
        try
        {
            await WaitForDependenciesAsync(resource, stopping);
            if (resource.ExternalConnectionString is not null)
            {
                log.System($"{resource.Name} is an existing server (ConnectionStrings__{resource.Name}); not starting one.");
                states.Update(resource.Name, s => s with { State = States.Running });
                await MonitorHealthAsync(resource, stopping);
                return;
            }
            var backoff = new RestartBackoff();
            while (!stopping.IsCancellationRequested)
            {
                states.Update(resource.Name, s => s with { State = States.Starting, Health = HealthStates.Unknown });
                var group = await LaunchAsync(resource, stopping);
                if (group is null)
                {
                    return;
                }
                states.Update(resource.Name, s => s with { State = States.Running, Pid = group.Pid });
                using var exited = new CancellationTokenSource();
                var monitor = MonitorHealthAsync(resource, exited.Token);
                var exitCode = await group.WaitForExitAsync(CancellationToken.None);
                await exited.CancelAsync();
                var healthyFor = await monitor;
                if (stopping.IsCancellationRequested)
                {
                    // StopAsync is stopping the group; it needs only the exit task, not the Process.
                    group.Dispose();
                    return;
                }
                lock (_gate)
                {
                    _running.Remove(resource.Name);
                }
                group.Signal(Signals.SIGKILL);
                group.Dispose();
                var delay = backoff.Next(healthyFor, Random.Shared.NextDouble());
                log.System($"{resource.Name} exited with code {exitCode}; restarting in {delay.TotalSeconds:0.#} s");
                states.Update(resource.Name, s => s with { State = States.Restarting, Health = HealthStates.Unhealthy, Pid = null, Restarts = s.Restarts + 1 });
                await Task.Delay(delay, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Prepares and starts the process, unless shutdown has begun; a preparation error is final.</summary>
    private async Task<ProcessGroup?> LaunchAsync(ProcessResource resource, CancellationToken stopping)
    {
        LaunchSpec spec;
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            spec = await resource.PrepareAsync(context, stopping);
            foreach (var callback in resource.EnvironmentCallbacks)
            {
                callback(environment);
            }
            foreach (var (key, value) in spec.Environment)
            {
                environment[key] = value;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.System($"{resource.Name} cannot start: {ex.Message}");
            states.Update(resource.Name, s => s with { State = States.FailedToStart, Health = HealthStates.Unhealthy });
            return null;
        }
        lock (_gate)
        {
            // Checked under the lock StopAsync takes, so no process starts after the stop has looked.
            if (_stopped)
            {
                return null;
            }
            ProcessGroup group;
            try
            {
                group = ProcessGroup.Start(spec, environment, resource.Name, log);
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
            {
                log.System($"{resource.Name} cannot start: {ex.Message}");
                states.Update(resource.Name, s => s with { State = States.FailedToStart, Health = HealthStates.Unhealthy });
                return null;
            }
            _running[resource.Name] = group;
            ledger.Add(group.Pid);
            _ = group.WaitForExitAsync().ContinueWith(_ => ledger.Remove(group.Pid), TaskScheduler.Default);
            return group;
        }
    }

    /// <summary>Probes the resource until it exits; returns how long it had been healthy without a break by then.</summary>
    private async Task<TimeSpan> MonitorHealthAsync(ProcessResource resource, CancellationToken exited)
    {
        var healthyOnce = false;
        DateTime? healthySince = null;
        while (!exited.IsCancellationRequested)
        {
            var healthy = await ProbeAsync(resource.HealthProbe, exited);
            if (exited.IsCancellationRequested)
            {
                break;
            }
            healthyOnce |= healthy;
            healthySince = healthy ? healthySince ?? DateTime.UtcNow : null;
            states.Update(resource.Name, s => s with { Health = healthy ? HealthStates.Healthy : healthyOnce ? HealthStates.Unhealthy : HealthStates.Unknown });
            try
            {
                await Task.Delay(healthyOnce ? TimeSpan.FromSeconds(1) : TimeSpan.FromMilliseconds(200), exited);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return healthySince is { } since ? DateTime.UtcNow - since : TimeSpan.Zero;
    }

    private async Task RunSetupAsync(SetupResource resource, CancellationToken stopping)
    {
        try
        {
            await WaitForDependenciesAsync(resource, stopping);
            states.Update(resource.Name, s => s with { State = States.Starting });
            await resource.RunAsync(context, stopping);
            states.Update(resource.Name, s => s with { State = States.Finished });
            while (!stopping.IsCancellationRequested)
            {
                var healthy = await ProbeAsync(resource.HealthProbe, stopping);
                states.Update(resource.Name, s => s with { Health = healthy ? HealthStates.Healthy : HealthStates.Unhealthy });
                await Task.Delay(TimeSpan.FromSeconds(2), stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            log.System($"{resource.Name} failed: {ex.Message}");
            states.Update(resource.Name, s => s with { State = States.FailedToStart, Health = HealthStates.Unhealthy });
        }
    }

    private async Task WaitForDependenciesAsync(Resource resource, CancellationToken stopping)
    {
        states.Update(resource.Name, s => s with { State = States.Waiting });
        foreach (var dependency in resource.WaitsFor)
        {
            await states.WhenFirstHealthy(dependency.Name, stopping);
        }
    }

    private static async Task<bool> ProbeAsync(Func<CancellationToken, Task<bool>>? probe, CancellationToken cancellationToken)
    {
        if (probe is null)
        {
            return true;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            return await probe(timeout.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Whatever a probe throws (a refused connection, a malformed connection string) means "not healthy".
            return false;
        }
    }
}
