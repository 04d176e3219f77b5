using System.Diagnostics.Metrics;
using AgentFleet.ServiceDefaults.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFleet.ServiceDefaults.Tests;

/// <summary>Series are found from a measurement's tags without rendering them: the totals must come out as if they were.</summary>
public sealed class MetricSeriesCacheTests
{
    [Fact]
    public void TagsInAnyOrderCountTowardsOneSeriesAndManyDistinctTagSetsAreAllCounted()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var collector = new PrometheusMetricsCollector(meters);
        var counter = meters.Create("AgentFleet.CacheTest").CreateCounter<long>("cache_test.calls", "{call}");

        for (var i = 0; i < 10; i++)
        {
            counter.Add(1, new("method", "GET"), new("code", 200));
            counter.Add(1, new("code", 200), new("method", "GET"));
        }
        counter.Add(5, new("method", "GET"), new("code", 404));
        // More distinct tag sets than the cache keeps: the ones past it are still counted, once each.
        for (var i = 0; i < 5000; i++)
        {
            counter.Add(1, new("method", "POST"), new("code", i));
        }
        counter.Add(1, new("method", "POST"), new("code", 4999));

        var text = collector.Scrape();
        var lines = text.Split('\n').Where(l => l.StartsWith("cache_test_calls_total{", StringComparison.Ordinal)).ToList();
        Assert.Contains("cache_test_calls_total{code=\"200\",method=\"GET\"} 20", lines);
        Assert.Contains("cache_test_calls_total{code=\"404\",method=\"GET\"} 5", lines);
        Assert.Contains("cache_test_calls_total{code=\"4999\",method=\"POST\"} 2", lines);
        Assert.Equal(2 + 5000, lines.Count);
    }
}
