namespace AgentFleet.ServiceDefaults.Telemetry;

/// <summary>The project's own activity sources and meters, which every service listens to beside the instrumentation's.</summary>
public static class TelemetryNames
{
    /// <summary>Prefix of the project's own ActivitySources and Meters (<c>AgentFleet.SessionRunner</c>, ...).</summary>
    public const string ProjectPrefix = "AgentFleet";

    /// <summary>Every source and meter under the prefix.</summary>
    public const string ProjectWildcard = ProjectPrefix + ".*";

    /// <summary>ASP.NET Core's meters beyond the hosting and Kestrel ones its instrumentation adds, as the Aspire template lists them.</summary>
    public static readonly string[] AspNetCoreMeters = ["Microsoft.AspNetCore.Routing", "Microsoft.AspNetCore.Diagnostics"];
}
