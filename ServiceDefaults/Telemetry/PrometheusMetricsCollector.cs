using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace AgentFleet.ServiceDefaults.Telemetry;

/// <summary>
/// Aggregates measurements from the collected meters in memory, for <c>GET /metrics</c>.
/// A MeterListener stands in for the Prometheus exporter package, which is not in the feed.
/// </summary>
public sealed class PrometheusMetricsCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _scrape = new();
    private readonly ConcurrentDictionary<Instrument, MetricFamily> _families = new();

    public PrometheusMetricsCollector(IMeterFactory meterFactory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // Meters made by another host's IMeterFactory (a second app in this process) are not ours to report.
            var ours = instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, meterFactory);
            if (ours && TelemetryNames.IsCollectedMeter(instrument.Meter.Name))
            {
                _families.TryAdd(instrument, MetricFamily.For(instrument));
                listener.EnableMeasurementEvents(instrument, _families[instrument]);
            }
        };
        _listener.MeasurementsCompleted = (instrument, state) => _families.TryRemove(instrument, out var removed);
        _listener.SetMeasurementEventCallback<double>(Record);
        _listener.SetMeasurementEventCallback<float>((i, v, t, s) => Record(i, v, t, s));
        _listener.SetMeasurementEventCallback<long>((i, v, t, s) => Record(i, v, t, s));
        _listener.SetMeasurementEventCallback<int>((i, v, t, s) => Record(i, v, t, s));
        _listener.SetMeasurementEventCallback<short>((i, v, t, s) => Record(i, v, t, s));
        _listener.SetMeasurementEventCallback<byte>((i, v, t, s) => Record(i, v, t, s));
        _listener.SetMeasurementEventCallback<decimal>((i, v, t, s) => Record(i, (double)v, t, s));
        _listener.Start();
    }

    /// <summary>
    /// The exposition text. Scrapes take turns: one scrape's reset of observable series must not empty
    /// them under another scrape that is writing.
    /// </summary>
    public string Scrape()
    {
        lock (_scrape)
        {
            return PrometheusTextWriter.Write(Collect());
        }
    }

    /// <summary>Observes the observable instruments, then returns a consistent view of every family.</summary>
    public IReadOnlyList<MetricFamily> Collect()
    {
        foreach (var (instrument, family) in _families)
        {
            if (instrument.IsObservable)
            {
                family.ClearSeries();
            }
        }
        _listener.RecordObservableInstruments();
        return [.. _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal)];
    }

    private static void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (state is MetricFamily family)
        {
            family.Record(value, tags);
        }
    }

    public void Dispose() => _listener.Dispose();
}
