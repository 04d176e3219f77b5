using System.Text;

namespace AgentFleet.ServiceDefaults.Telemetry;

/// <summary>Writes families in the Prometheus text exposition format, version 0.0.4.</summary>
public static class PrometheusTextWriter
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static string Write(IEnumerable<MetricFamily> families)
    {
        var text = new StringBuilder();
        // Two instruments can map to one Prometheus name (one name on two meters): the first one reported wins,
        // because a name may appear once and a series must not repeat.
        foreach (var group in families.GroupBy(f => f.Name, StringComparer.Ordinal))
        {
            var first = group.First();
            var samples = first.Series.Select(s => (Family: first, Series: s)).ToList();
            if (samples.Count == 0)
            {
                continue;
            }
            text.Append("# HELP ").Append(first.Name).Append(' ');
            AppendHelp(text, first.Help);
            text.Append('\n');
            text.Append("# TYPE ").Append(first.Name).Append(' ').Append(TypeName(first.Kind)).Append('\n');
            foreach (var (family, series) in samples)
            {
                var snapshot = series.Snapshot();
                if (family.Kind == MetricKind.Histogram)
                {
                    WriteHistogram(text, family, series.Labels, snapshot);
                }
                else
                {
                    WriteSample(text, family.Name, series.Labels, null, snapshot.Value);
                }
            }
        }
        return text.ToString();
    }

    private static void WriteHistogram(StringBuilder text, MetricFamily family, string labels, SeriesSnapshot snapshot)
    {
        long cumulative = 0;
        for (var i = 0; i < family.Buckets.Length; i++)
        {
            cumulative += snapshot.BucketCounts[i];
            WriteSample(text, family.Name + "_bucket", labels, PrometheusNaming.FormatValue(family.Buckets[i]), cumulative);
        }
        WriteSample(text, family.Name + "_bucket", labels, "+Inf", snapshot.Count);
        WriteSample(text, family.Name + "_sum", labels, null, snapshot.Sum);
        WriteSample(text, family.Name + "_count", labels, null, snapshot.Count);
    }

    private static void WriteSample(StringBuilder text, string name, string labels, string? le, double value)
    {
        text.Append(name);
        if (labels.Length > 0 || le is not null)
        {
            text.Append('{').Append(labels);
            if (le is not null)
            {
                text.Append(labels.Length > 0 ? "," : string.Empty).Append("le=\"").Append(le).Append('"');
            }
            text.Append('}');
        }
        text.Append(' ').Append(PrometheusNaming.FormatValue(value)).Append('\n');
    }

    private static void AppendHelp(StringBuilder text, string help)
    {
        foreach (var c in help)
        {
            _ = c switch
            {
                '\\' => text.Append(@"\\"),
                '\n' => text.Append(@"\n"),
                _ => text.Append(c),
            };
        }
    }

    private static string TypeName(MetricKind kind) => kind switch
    {
        MetricKind.Counter => "counter",
        MetricKind.Histogram => "histogram",
        _ => "gauge",
    };
}
