using System.Text.Json;

namespace AgentFleet.ZaiProxy.Accounting;

/// <summary>
/// Usage rows the database could not take yet, on local disk: appended as JSON lines and fsynced before they leave
/// memory, replayed once the database is back. Replay works on a file moved aside (<c>usage.replaying</c>), so rows
/// spooled meanwhile go to a fresh <c>usage.spool</c> and nothing is truncated that was not stored.
/// <c>Usage:SpoolDirectory</c>, default <c>$FLEET_HOME/zai-proxy</c> (else <c>.fleet/zai-proxy</c>).
/// </summary>
public sealed partial class UsageSpool
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Lock _gate = new();
    private readonly string _active;
    private readonly string _replaying;
    private readonly ILogger<UsageSpool> _logger;

    public UsageSpool(IConfiguration configuration, ILogger<UsageSpool> logger)
    {
        var directory = Path.GetFullPath(configuration["Usage:SpoolDirectory"]
            ?? Path.Combine(Environment.GetEnvironmentVariable("FLEET_HOME") is { Length: > 0 } home ? home : ".fleet", "zai-proxy"));
        Directory.CreateDirectory(directory);
        _active = Path.Combine(directory, "usage.spool");
        _replaying = Path.Combine(directory, "usage.replaying");
        _logger = logger;
    }

    /// <summary>Whether rows wait on disk: while they do, new rows join them, so the database gets them in one replay.</summary>
    public bool HasPending => File.Exists(_replaying) || (File.Exists(_active) && new FileInfo(_active).Length > 0);

    public void Append(IReadOnlyCollection<UsageRecord> records)
    {
        lock (_gate)
        {
            using var stream = new FileStream(_active, FileMode.Append, FileAccess.Write, FileShare.Read);
            foreach (var record in records)
            {
                JsonSerializer.Serialize(stream, record, Json);
                stream.WriteByte((byte)'\n');
            }
            stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>The rows to replay: those left from a replay that did not finish, else everything spooled so far.</summary>
    public List<UsageRecord> TakeForReplay()
    {
        lock (_gate)
        {
            if (!File.Exists(_replaying) && File.Exists(_active))
            {
                File.Move(_active, _replaying);
            }
        }
        var records = new List<UsageRecord>();
        if (!File.Exists(_replaying))
        {
            return records;
        }
        foreach (var line in File.ReadLines(_replaying))
        {
            try
            {
                if (line.Length > 0 && JsonSerializer.Deserialize<UsageRecord>(line, Json) is { } record)
                {
                    records.Add(record);
                }
            }
            catch (JsonException)
            {
                // Only the last line of a crash can be torn; it was never fsynced, so never acknowledged either.
                LogTornLine(_logger, line.Length);
            }
        }
        return records;
    }

    /// <summary>The replayed rows are stored: their file goes.</summary>
    public void CompleteReplay() => File.Delete(_replaying);

    [LoggerMessage(LogLevel.Warning, "A torn line of {Length} characters in the usage spool was skipped")]
    private static partial void LogTornLine(ILogger logger, int length);
}
