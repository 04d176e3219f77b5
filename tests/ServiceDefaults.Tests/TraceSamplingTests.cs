using System.Diagnostics;
using AgentFleet.ServiceDefaults.Telemetry;
using Microsoft.Extensions.Configuration;
using OpenTelemetry.Trace;

namespace AgentFleet.ServiceDefaults.Tests;

/// <summary>OTEL_TRACES_SAMPLER decides which traces are recorded, as the OpenTelemetry specification names its values.</summary>
public sealed class TraceSamplingTests
{
    [Theory]
    [InlineData(null, null, 1000)]
    [InlineData("always_on", null, 1000)]
    [InlineData("always_off", null, 0)]
    [InlineData("traceidratio", "0", 0)]
    [InlineData("parentbased_traceidratio", "1", 1000)]
    public void TheSamplerSettingDecidesHowManyNewTracesAreRecorded(string? sampler, string? argument, int expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_TRACES_SAMPLER"] = sampler,
            ["OTEL_TRACES_SAMPLER_ARG"] = argument,
        }).Build();
        var chosen = TraceSampling.From(configuration);
        var recorded = Enumerable.Range(0, 1000).Count(_ => chosen.ShouldSample(new SamplingParameters(
            default, ActivityTraceId.CreateRandom(), "GET /", ActivityKind.Server)).Decision == SamplingDecision.RecordAndSample);
        Assert.Equal(expected, recorded);
    }

    [Fact]
    public void ARatioSamplesAboutThatShareOfTraces()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_TRACES_SAMPLER"] = "traceidratio",
            ["OTEL_TRACES_SAMPLER_ARG"] = "0.25",
        }).Build();
        var chosen = TraceSampling.From(configuration);
        var recorded = Enumerable.Range(0, 4000).Count(_ => chosen.ShouldSample(new SamplingParameters(
            default, ActivityTraceId.CreateRandom(), "GET /", ActivityKind.Server)).Decision == SamplingDecision.RecordAndSample);
        Assert.InRange(recorded, 800, 1200);
    }
}
