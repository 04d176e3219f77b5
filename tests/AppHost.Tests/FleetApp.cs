using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace AgentFleet.AppHost.Tests;

/// <summary>
/// The AppHost's app model run in the test process by Aspire.Hosting.Testing (DCP starts the real processes; no
/// dashboard), in a .fleet directory of its own, with free ports.
/// </summary>
public sealed class FleetApp : IAsyncDisposable
{
    private FleetApp(DistributedApplication app, string fleetHome)
    {
        App = app;
        FleetHome = fleetHome;
    }

    public DistributedApplication App { get; }

    public string FleetHome { get; }

    public static async Task<FleetApp> StartAsync(IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var fleetHome = Path.Combine(Path.GetTempPath(), $"fleet-apphost-test-{Guid.NewGuid():N}");
        var arguments = new Dictionary<string, string>
        {
            ["FLEET_HOME"] = fleetHome,
            ["GATEWAY_PORT"] = "0",
            ["GATEWAY_GRPC_PORT"] = "0",
            ["AGENT_CONTROL_PORT"] = "0",
            ["FLEET_CONTAINERS"] = "never",
        };
        foreach (var (key, value) in settings)
        {
            arguments[key] = value;
        }
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            [.. arguments.Select(a => $"--{a.Key}={a.Value}")], cancellationToken);
        var app = await builder.BuildAsync(cancellationToken);
        var fleet = new FleetApp(app, fleetHome);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
        return fleet;
    }

    public Uri Endpoint(string resource, string endpoint = "http") => App.GetEndpoint(resource, endpoint);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(FleetHome, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
