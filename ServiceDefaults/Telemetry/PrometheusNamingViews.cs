using OpenTelemetry.Metrics;

namespace AgentFleet.ServiceDefaults.Telemetry;

/// <summary>
/// Renames, through views, the instruments whose Prometheus names <c>promtool check metrics</c> rejects: counters
/// that end in <c>_count</c>, a suffix Prometheus keeps for histograms. The views rename them for OTLP as well.
/// </summary>
public static class PrometheusNamingViews
{
    /// <summary>Instrument name, and the name it is exported under.</summary>
    public static readonly IReadOnlyDictionary<string, string> Renames = new Dictionary<string, string>
    {
        ["dotnet.assembly.count"] = "dotnet.assemblies.loaded",
        ["dotnet.process.cpu.count"] = "dotnet.process.cpus",
        ["dotnet.thread_pool.thread.count"] = "dotnet.thread_pool.threads",
        ["dotnet.timer.count"] = "dotnet.timers",
        ["db.client.connection.count"] = "db.client.connections",
    };

    public static MeterProviderBuilder AddPrometheusNamingViews(this MeterProviderBuilder metrics)
    {
        foreach (var (name, exported) in Renames)
        {
            metrics.AddView(name, new MetricStreamConfiguration { Name = exported });
        }
        return metrics;
    }
}
