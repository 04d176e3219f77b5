using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;

namespace AgentFleet.ServiceDefaults.Telemetry;

/// <summary>
/// Bucket boundaries in seconds for the project's own duration histograms. Without them the SDK's defaults (0, 5, 10,
/// 25 ... 10,000) suit milliseconds, and every call of a second or less would land in one bucket.
/// </summary>
public static class DurationBuckets
{
    public static readonly double[] Seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

    public static MetricStreamConfiguration? For(Instrument instrument) =>
        instrument is Histogram<double> && instrument.Unit == "s" && instrument.Meter.Name.StartsWith(TelemetryNames.ProjectPrefix + ".", StringComparison.Ordinal)
            ? new ExplicitBucketHistogramConfiguration { Boundaries = Seconds }
            : null;
}
