using System.Collections;

namespace AgentFleet.Grpc;

/// <summary>
/// Custom headers or trailers of a call. Keys are lower-case; a key ending in <c>-bin</c> carries bytes,
/// sent base64-encoded as the protocol says.
/// </summary>
public sealed class Metadata : IEnumerable<Metadata.Entry>
{
    public const string BinarySuffix = "-bin";

    private readonly List<Entry> _entries = [];

    public int Count => _entries.Count;

    public void Add(string key, string value) => _entries.Add(new Entry(Normalize(key), value, null));

    public void Add(string key, byte[] value)
    {
        key = Normalize(key);
        if (!key.EndsWith(BinarySuffix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Binary metadata keys end in '{BinarySuffix}': '{key}'.", nameof(key));
        }
        _entries.Add(new Entry(key, null, value));
    }

    /// <summary>Adds a header as it arrived: a <c>-bin</c> key's value is base64 (padding optional) and becomes bytes.</summary>
    public void AddWire(string key, string wireValue)
    {
        if (key.EndsWith(BinarySuffix, StringComparison.Ordinal))
        {
            var padded = wireValue.Length % 4 == 0 ? wireValue : wireValue + new string('=', 4 - (wireValue.Length % 4));
            Add(key, Convert.FromBase64String(padded));
        }
        else
        {
            Add(key, wireValue);
        }
    }

    /// <summary>The metadata among a call's headers or trailers: everything but the protocol's own and HTTP's.</summary>
    public static Metadata FromHeaders(IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers)
    {
        var metadata = new Metadata();
        foreach (var (name, values) in headers)
        {
            if (GrpcProtocol.IsReservedHeader(name))
            {
                continue;
            }
            foreach (var value in values)
            {
                metadata.AddWire(name, value);
            }
        }
        return metadata;
    }

    /// <summary>The last value of <paramref name="key"/>, or null.</summary>
    public string? GetValue(string key) => _entries.LastOrDefault(e => e.Key == Normalize(key))?.Value;

    public byte[]? GetBytes(string key) => _entries.LastOrDefault(e => e.Key == Normalize(key))?.ValueBytes;

    public IEnumerator<Entry> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static string Normalize(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            throw new ArgumentException($"'{key}' is not a valid metadata key.", nameof(key));
        }
        return key.ToLowerInvariant();
    }

    public sealed record Entry(string Key, string? Value, byte[]? ValueBytes)
    {
        public bool IsBinary => ValueBytes is not null;

        /// <summary>The value as it travels in a header.</summary>
        public string WireValue => ValueBytes is null ? Value! : Convert.ToBase64String(ValueBytes).TrimEnd('=');
    }
}
