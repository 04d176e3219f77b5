using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AgentFleet.Grpc;

/// <summary>
/// Spans and metrics per call, by the OpenTelemetry RPC semantic conventions. The server span is ASP.NET
/// Core's request span, renamed and tagged; the client span is ours, and HttpClient's span nests in it
/// and carries the trace context to the server in <c>traceparent</c>.
/// </summary>
public static class GrpcTelemetry
{
    public const string Name = "AgentFleet.Grpc";

    public static readonly ActivitySource ActivitySource = new(Name);
    private static readonly Meter Meter = new(Name);

    // Declared before the histograms that use it: static fields initialize in order.
    private static readonly InstrumentAdvice<double> DurationBuckets = new() { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] };

    private static readonly Histogram<double> ServerDuration = Meter.CreateHistogram<double>(
        "rpc.server.call.duration", "s", "Duration of gRPC calls served, by method and status code.",
        advice: DurationBuckets);

    private static readonly Histogram<double> ClientDuration = Meter.CreateHistogram<double>(
        "rpc.client.call.duration", "s", "Duration of gRPC calls made, by method and status code.",
        advice: DurationBuckets);

    internal static void EnrichServerSpan(Activity? activity, IMethod method)
    {
        if (activity is null || !activity.IsAllDataRequested)
        {
            return;
        }
        activity.DisplayName = $"{method.ServiceName}/{method.Name}";
        activity.SetTag("rpc.system", "grpc");
        activity.SetTag("rpc.service", method.ServiceName);
        activity.SetTag("rpc.method", method.Name);
    }

    internal static Activity? StartClientSpan(IMethod method, Uri target)
    {
        var activity = ActivitySource.StartActivity($"{method.ServiceName}/{method.Name}", ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("rpc.system", "grpc");
            activity.SetTag("rpc.service", method.ServiceName);
            activity.SetTag("rpc.method", method.Name);
            activity.SetTag("server.address", target.Host);
            activity.SetTag("server.port", target.Port);
        }
        return activity;
    }

    internal static void RecordServerCall(IMethod method, StatusCode status, TimeSpan duration)
    {
        var activity = Activity.Current;
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("rpc.grpc.status_code", (int)status);
        }
        ServerDuration.Record(duration.TotalSeconds, Tags(method, status));
    }

    internal static void EndClientCall(Activity? activity, IMethod method, StatusCode status, TimeSpan duration)
    {
        if (activity is not null)
        {
            activity.SetTag("rpc.grpc.status_code", (int)status);
            if (status != StatusCode.OK)
            {
                activity.SetStatus(ActivityStatusCode.Error, status.ToString());
            }
            activity.Dispose();
        }
        ClientDuration.Record(duration.TotalSeconds, Tags(method, status));
    }

    private static TagList Tags(IMethod method, StatusCode status) => new()
    {
        { "rpc.system", "grpc" },
        { "rpc.service", method.ServiceName },
        { "rpc.method", method.Name },
        { "rpc.grpc.status_code", (int)status },
    };
}
