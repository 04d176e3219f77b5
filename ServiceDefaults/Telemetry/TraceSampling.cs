using System.Globalization;
using Microsoft.Extensions.Configuration;
using OpenTelemetry.Trace;

namespace AgentFleet.ServiceDefaults.Telemetry;

/// <summary>
/// The standard <c>OTEL_TRACES_SAMPLER</c> (and <c>OTEL_TRACES_SAMPLER_ARG</c>, the ratio) setting: every trace by
/// default, so local runs miss nothing; a busy deployment samples a ratio, or turns tracing off.
/// </summary>
public static class TraceSampling
{
    public static Sampler From(IConfiguration configuration)
    {
        var ratio = double.TryParse(configuration["OTEL_TRACES_SAMPLER_ARG"], NumberStyles.Float, CultureInfo.InvariantCulture, out var r) ? Math.Clamp(r, 0, 1) : 1.0;
        return configuration["OTEL_TRACES_SAMPLER"]?.Trim().ToLowerInvariant() switch
        {
            "always_on" => new AlwaysOnSampler(),
            "always_off" => new AlwaysOffSampler(),
            "traceidratio" => new TraceIdRatioBasedSampler(ratio),
            "parentbased_always_off" => new ParentBasedSampler(new AlwaysOffSampler()),
            "parentbased_traceidratio" => new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio)),
            _ => new ParentBasedSampler(new AlwaysOnSampler()),
        };
    }
}
