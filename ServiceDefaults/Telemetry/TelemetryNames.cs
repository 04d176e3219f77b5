namespace AgentFleet.ServiceDefaults.Telemetry;

/// <summary>The activity sources and meters every service listens to.</summary>
public static class TelemetryNames
{
    /// <summary>Prefix of the project's own ActivitySources and Meters (<c>AgentFleet.SessionRunner</c>, ...).</summary>
    public const string ProjectPrefix = "AgentFleet";

    public static readonly string[] ActivitySources =
    [
        "Microsoft.AspNetCore",
        "System.Net.Http",
        "Npgsql",
        ProjectPrefix + ".*",
    ];

    public static readonly string[] Meters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "System.Net.Http",
        "System.Runtime",
        "Npgsql",
        ProjectPrefix + ".*",
    ];

    /// <summary>True when a meter name is one of <see cref="Meters"/> (wildcards honoured).</summary>
    public static bool IsCollectedMeter(string meterName)
    {
        foreach (var pattern in Meters)
        {
            if (pattern.EndsWith(".*", StringComparison.Ordinal)
                ? meterName.StartsWith(pattern[..^1], StringComparison.Ordinal) || meterName == pattern[..^2]
                : meterName == pattern)
            {
                return true;
            }
        }
        return false;
    }
}
