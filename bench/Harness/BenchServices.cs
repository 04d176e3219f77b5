using AgentFleet.Testing;

namespace AgentFleet.Bench.Harness;

/// <summary>The services a scenario measures, started as processes the way the AppHost starts them.</summary>
public static class BenchServices
{
    /// <summary>A loopback URL on a port free right now.</summary>
    public static string FreeUrl() => $"http://127.0.0.1:{PortAllocator.GetFreePort()}";

    /// <summary>Starts <paramref name="name"/> on a free http port, in the Production environment (measured as deployed).</summary>
    public static Task<ServiceProcess> StartAsync(string name, Dictionary<string, string> environment, string? url = null)
    {
        environment["Kestrel__Endpoints__http__Url"] = url ?? FreeUrl();
        environment["DOTNET_ENVIRONMENT"] = "Production";
        return ServiceProcess.StartAsync(typeof(BenchServices).Assembly, name, environment, CancellationToken.None);
    }
}
