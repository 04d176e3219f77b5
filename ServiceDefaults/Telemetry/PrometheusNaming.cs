using System.Globalization;
using System.Text;

namespace AgentFleet.ServiceDefaults.Telemetry;

/// <summary>OpenTelemetry-to-Prometheus naming, as the OpenTelemetry specification's compatibility rules say.</summary>
public static class PrometheusNaming
{
    private static readonly Dictionary<string, string> UnitSuffixes = new(StringComparer.Ordinal)
    {
        ["s"] = "seconds",
        ["ms"] = "milliseconds",
        ["By"] = "bytes",
        ["KiBy"] = "kibibytes",
        ["MiBy"] = "mebibytes",
        ["%"] = "percent",
        ["1"] = "ratio",
    };

    private static readonly string[] ReservedSuffixes = ["_count", "_sum", "_bucket"];

    /// <summary><c>http.server.request.duration</c> in <c>s</c> becomes <c>http_server_request_duration_seconds</c>.</summary>
    public static string MetricName(string instrumentName, string? unit, MetricKind kind)
    {
        var name = Sanitize(instrumentName, allowColon: true);
        // Annotations such as {request} carry no unit.
        if (!string.IsNullOrEmpty(unit) && !unit.StartsWith('{') && UnitSuffixes.TryGetValue(unit, out var suffix)
            && !name.EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            name += "_" + suffix;
        }
        if (kind == MetricKind.Counter)
        {
            name = name.EndsWith("_total", StringComparison.Ordinal) ? name : name + "_total";
        }
        else if (kind == MetricKind.Gauge && ReservedSuffixes.Any(suffix => name.EndsWith(suffix, StringComparison.Ordinal)))
        {
            // _count, _sum and _bucket belong to histograms: a gauge such as dotnet.assembly.count
            // would read as part of one (promtool rejects it), so it becomes dotnet_assembly_count_current.
            name += "_current";
        }
        return name;
    }

    /// <summary>Renders tags as sorted, escaped label pairs: the series key and its exposition text in one.</summary>
    public static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return string.Empty;
        }
        var pairs = new List<KeyValuePair<string, string>>(tags.Length);
        foreach (var tag in tags)
        {
            if (tag.Value is null)
            {
                continue;
            }
            var value = Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? string.Empty;
            pairs.Add(new(Sanitize(tag.Key, allowColon: false), value));
        }
        pairs.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        // Two tags can sanitize to one label name (a.b and a_b); a series may name a label once.
        pairs = [.. pairs.DistinctBy(p => p.Key, StringComparer.Ordinal)];
        var text = new StringBuilder();
        foreach (var (key, value) in pairs)
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }
            text.Append(key).Append("=\"");
            AppendEscaped(text, value);
            text.Append('"');
        }
        return text.ToString();
    }

    public static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    public static void AppendEscaped(StringBuilder text, string value)
    {
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => text.Append(@"\\"),
                '"' => text.Append("\\\""),
                '\n' => text.Append(@"\n"),
                _ => text.Append(c),
            };
        }
    }

    private static string Sanitize(string name, bool allowColon)
    {
        var text = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            var valid = char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':');
            text.Append(valid ? c : '_');
        }
        if (text.Length == 0 || char.IsAsciiDigit(text[0]))
        {
            text.Insert(0, '_');
        }
        // Collapse runs of underscores that dots next to underscores leave behind.
        return text.ToString().Replace("__", "_", StringComparison.Ordinal);
    }
}
