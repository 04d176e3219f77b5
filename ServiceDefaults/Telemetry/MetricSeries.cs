namespace AgentFleet.ServiceDefaults.Telemetry;

/// <summary>One label set of a metric family: a value, or a histogram's buckets, sum and count.</summary>
public sealed class MetricSeries(string labels, int bucketCount)
{
    private readonly Lock _gate = new();
    private readonly long[] _bucketCounts = new long[bucketCount];
    private double _value;
    private double _sum;
    private long _count;

    /// <summary>Rendered label pairs without braces, for example <c>method="GET",code="200"</c>.</summary>
    public string Labels { get; } = labels;

    public void Add(double delta)
    {
        lock (_gate)
        {
            _value += delta;
        }
    }

    public void Set(double value)
    {
        lock (_gate)
        {
            _value = value;
        }
    }

    public void Observe(double value, double[] bounds)
    {
        if (double.IsNaN(value))
        {
            return;
        }
        var index = Array.BinarySearch(bounds, value);
        // A value equal to a bound belongs to that bound's bucket (le = less or equal).
        var bucket = index >= 0 ? index : ~index;
        lock (_gate)
        {
            if (bucket < _bucketCounts.Length)
            {
                _bucketCounts[bucket]++;
            }
            _sum += value;
            _count++;
        }
    }

    public SeriesSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new SeriesSnapshot(_value, _sum, _count, (long[])_bucketCounts.Clone());
        }
    }
}

/// <summary>Per-bucket (not cumulative) counts; the writer accumulates them.</summary>
public readonly record struct SeriesSnapshot(double Value, double Sum, long Count, long[] BucketCounts);
