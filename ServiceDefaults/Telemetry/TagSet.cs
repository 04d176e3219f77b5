namespace AgentFleet.ServiceDefaults.Telemetry;

/// <summary>
/// A measurement's tags as given (names and values in their order), the key of a family's series cache. Measured
/// tags arrive as a span; <see cref="Comparer"/> looks a span up without copying it, so a measurement on a series
/// seen before renders no label text and allocates nothing.
/// </summary>
internal sealed class TagSet(KeyValuePair<string, object?>[] tags)
{
    public static readonly IEqualityComparer<TagSet> Default = new Comparer();

    private readonly KeyValuePair<string, object?>[] _tags = tags;

    public static TagSet Copy(ReadOnlySpan<KeyValuePair<string, object?>> tags) => new(tags.ToArray());

    internal sealed class Comparer : IEqualityComparer<TagSet>, IAlternateEqualityComparer<ReadOnlySpan<KeyValuePair<string, object?>>, TagSet>
    {
        public bool Equals(TagSet? x, TagSet? y) => ReferenceEquals(x, y) || (x is not null && y is not null && Equals(x._tags, y));

        public int GetHashCode(TagSet set) => GetHashCode((ReadOnlySpan<KeyValuePair<string, object?>>)set._tags);

        public bool Equals(ReadOnlySpan<KeyValuePair<string, object?>> tags, TagSet set)
        {
            var other = set._tags;
            if (tags.Length != other.Length)
            {
                return false;
            }
            for (var i = 0; i < tags.Length; i++)
            {
                if (!string.Equals(tags[i].Key, other[i].Key, StringComparison.Ordinal) || !object.Equals(tags[i].Value, other[i].Value))
                {
                    return false;
                }
            }
            return true;
        }

        public int GetHashCode(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var hash = new HashCode();
            foreach (var (key, value) in tags)
            {
                hash.Add(key, StringComparer.Ordinal);
                hash.Add(value);
            }
            return hash.ToHashCode();
        }

        public TagSet Create(ReadOnlySpan<KeyValuePair<string, object?>> tags) => Copy(tags);
    }
}
