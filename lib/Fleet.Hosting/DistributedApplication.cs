using System.Reflection;
using System.Runtime.InteropServices;
using AgentFleet.Hosting.ApplicationModel;
using AgentFleet.Hosting.Console;
using AgentFleet.Hosting.Infrastructure;
using AgentFleet.Hosting.Orchestration;

namespace AgentFleet.Hosting;

/// <summary>The app model, built and run: the stand-in for Aspire's DistributedApplication.</summary>
public sealed class DistributedApplication
{
    private readonly DistributedApplicationBuilder _builder;

    internal DistributedApplication(DistributedApplicationBuilder builder) => _builder = builder;

    public static DistributedApplicationBuilder CreateBuilder(string[] args) => new(args);

    public void Run() => RunAsync().GetAwaiter().GetResult();

    /// <summary>
    /// Runs until Ctrl-C, SIGTERM or <paramref name="cancellationToken"/>, then stops everything. A problem
    /// the operator must fix first (a port in use, another AppHost on this .fleet) is printed and sets
    /// exit code 1.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await RunCoreAsync(cancellationToken);
        }
        catch (HostingConfigurationException ex)
        {
            _builder.Console.System(ex.Message);
            Environment.ExitCode = 1;
        }
    }

    private async Task RunCoreAsync(CancellationToken cancellationToken)
    {
        using var shutdown = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);

        var log = _builder.Console;
        using var runLock = AcquireRunLock(_builder.FleetHome);
        foreach (var (resource, endpoint) in _builder.Resources.SelectMany(r => r.Endpoints.Where(e => e.RequestedPort is > 0).Select(e => (r, e))))
        {
            PortAllocator.EnsureFree(endpoint.Port, $"{resource.Name}/{endpoint.Name}");
        }
        var resources = _builder.Resources.Where(r => r is not ParameterResource).ToList();
        log.Register(resources.Select(r => r.Name).Append("apphost"));
        var context = new HostingContext(_builder.FleetHome, _builder.EnvironmentName) { UseContainers = await ContainerRuntime.IsAvailableAsync() };
        log.System(context.UseContainers ? "Docker engine found: PostgreSQL and Redis run as containers." : "No Docker engine: PostgreSQL and Redis run from the installed server binaries.");

        // Parameters resolve now, so a generated key is printed before the first log lines.
        foreach (var parameter in _builder.Resources.OfType<ParameterResource>())
        {
            _ = parameter.Value;
        }
        var states = new ResourceStateStore(resources, Path.Combine(_builder.FleetHome, "apphost", "resources.json"));
        var ledger = new ProcessLedger(Path.Combine(_builder.FleetHome, "apphost", "processes.json"));
        await ledger.StopLeftoversAsync(log);
        using var table = new StatusTable(states, log);
        var orchestrator = new Orchestrator(resources, context, states, ledger, log);
        try
        {
            orchestrator.Start();
            await Task.Delay(Timeout.Infinite, shutdown.Token);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            log.System("Stopping...");
            await orchestrator.StopAsync();
            table.Print();
            log.System("Stopped.");
        }

        static FileStream AcquireRunLock(string fleetHome)
        {
            var path = Path.Combine(fleetHome, "apphost", "lock");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            try
            {
                // FileShare.None is an exclusive lock on Unix: released by the kernel even if we are killed.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                throw new HostingConfigurationException($"Another AppHost is running on {fleetHome}. Stop it first, or set FLEET_HOME to another directory.");
            }
        }

        void OnSignal(PosixSignalContext signal)
        {
            signal.Cancel = true;
            shutdown.Cancel();
        }
    }
}

/// <summary>Collects resources; <see cref="Build"/> assigns ports.</summary>
public sealed class DistributedApplicationBuilder
{
    internal DistributedApplicationBuilder(string[] args)
    {
        _ = args;
        FleetHome = Path.GetFullPath(Environment.GetEnvironmentVariable("FLEET_HOME")
            ?? Assembly.GetEntryAssembly()?.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "FleetHome")?.Value
            ?? Path.Combine(Environment.CurrentDirectory, ".fleet"));
        EnvironmentName = Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? "Development";
        Secrets = new SecretStore(Path.Combine(FleetHome, "secrets.json"));
    }

    /// <summary>The <c>.fleet/</c> directory (<c>FLEET_HOME</c> overrides): server data, secrets, the snapshot.</summary>
    public string FleetHome { get; }

    public string EnvironmentName { get; }

    public List<Resource> Resources { get; } = [];

    internal SecretStore Secrets { get; }

    internal ConsoleLog Console { get; } = new();

    internal HttpClient ProbeClient { get; } = new() { Timeout = TimeSpan.FromSeconds(5) };

    public IResourceBuilder<T> AddResource<T>(T resource) where T : Resource
    {
        if (Resources.Any(r => r.Name == resource.Name))
        {
            throw new InvalidOperationException($"A resource named '{resource.Name}' already exists.");
        }
        Resources.Add(resource);
        return new ResourceBuilder<T>(this, resource);
    }

    public DistributedApplication Build()
    {
        foreach (var endpoint in Resources.SelectMany(r => r.Endpoints.Select(e => (Resource: r, Endpoint: e))))
        {
            if (endpoint.Endpoint.RequestedPort is int port and > 0)
            {
                // Checked when the run starts, where a taken port is reported rather than thrown.
                endpoint.Endpoint.Port = port;
            }
            else
            {
                endpoint.Endpoint.Port = PortAllocator.GetFreePort();
            }
        }
        return new DistributedApplication(this);
    }
}
