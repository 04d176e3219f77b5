using System.Diagnostics;
using System.Diagnostics.Metrics;
using AgentFleet.Redis.Connection;

namespace AgentFleet.Redis;

/// <summary>
/// A client span per command with the database semantic conventions, and a duration histogram (named apart
/// from Npgsql's db.client.operation.duration, which Prometheus would otherwise see twice).
/// </summary>
public static class RedisTelemetry
{
    public const string Name = "AgentFleet.Redis";

    private static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "redis.client.command.duration", "s", "Duration of Redis commands, by command and outcome.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5] });

    internal static Activity? StartCommand(string command, RedisOptions options)
    {
        var activity = Source.StartActivity(command, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("db.system", "redis");
            activity.SetTag("db.operation.name", command);
            activity.SetTag("db.namespace", options.Database.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetTag("server.address", options.Host);
            activity.SetTag("server.port", options.Port);
        }
        return activity;
    }

    internal static void RecordCommand(string command, string outcome, TimeSpan duration) =>
        Duration.Record(duration.TotalSeconds, new TagList { { "db.system", "redis" }, { "db.operation.name", command }, { "outcome", outcome } });
}
