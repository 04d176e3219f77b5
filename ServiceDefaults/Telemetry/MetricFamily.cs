using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace AgentFleet.ServiceDefaults.Telemetry;

/// <summary>Prometheus's view of one instrument: a name, a type, and one series per label set.</summary>
public sealed class MetricFamily
{
    private static readonly double[] DefaultSecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
    private static readonly double[] DefaultBuckets = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    // Past this many distinct tag sets (a high-cardinality tag), measurements render their labels every time rather
    // than grow the cache without bound.
    private const int MaxCachedTagSets = 4096;

    private readonly ConcurrentDictionary<string, MetricSeries> _series = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<TagSet, MetricSeries> _byTags = new(TagSet.Default);
    private readonly bool _absolute;

    private MetricFamily(string name, string help, MetricKind kind, double[] buckets, bool absolute)
    {
        Name = name;
        Help = help;
        Kind = kind;
        Buckets = buckets;
        _absolute = absolute;
    }

    public string Name { get; }
    public string Help { get; }
    public MetricKind Kind { get; }
    public double[] Buckets { get; }
    public IEnumerable<MetricSeries> Series => _series.Values;

    public static MetricFamily For(Instrument instrument)
    {
        var type = instrument.GetType();
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        var kind = definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>) ? MetricKind.Counter
            : definition == typeof(Histogram<>) ? MetricKind.Histogram
            : MetricKind.Gauge;
        // Observable instruments and Gauge<T> report absolute values; the others report deltas.
        var absolute = instrument.IsObservable || definition == typeof(Gauge<>);
        var name = PrometheusNaming.MetricName(instrument.Name, instrument.Unit, kind);
        var help = string.IsNullOrWhiteSpace(instrument.Description) ? instrument.Name : instrument.Description!;
        var buckets = kind == MetricKind.Histogram ? BucketsFor(instrument) : [];
        return new MetricFamily(name, help, kind, buckets, absolute);
    }

    private static double[] BucketsFor(Instrument instrument)
    {
        var advice = instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries?.ToArray(),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            _ => null,
        };
        return advice ?? (instrument.Unit == "s" ? DefaultSecondsBuckets : DefaultBuckets);
    }

    /// <summary>Observable instruments report every series anew at each collection: forget the old ones.</summary>
    internal void ClearSeries()
    {
        _byTags.Clear();
        _series.Clear();
    }

    internal void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // The hot path (every request records several measurements): a series seen before is found from the tags as
        // they are; only a new tag set pays for rendering its labels. Differently ordered tags that render alike share a series.
        var lookup = _byTags.GetAlternateLookup<ReadOnlySpan<KeyValuePair<string, object?>>>();
        if (!lookup.TryGetValue(tags, out var series))
        {
            var labels = PrometheusNaming.Labels(tags);
            series = _series.GetOrAdd(labels, static (key, buckets) => new MetricSeries(key, buckets.Length), Buckets);
            if (_byTags.Count < MaxCachedTagSets)
            {
                lookup.TryAdd(tags, series);
            }
        }
        switch (Kind)
        {
            case MetricKind.Histogram:
                series.Observe(value, Buckets);
                break;
            case MetricKind.Counter or MetricKind.Gauge when _absolute:
                series.Set(value);
                break;
            default:
                series.Add(value);
                break;
        }
    }
}

public enum MetricKind
{
    Counter,
    Gauge,
    Histogram,
}
