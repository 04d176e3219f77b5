using System.Diagnostics.Metrics;
using AgentFleet.ZaiProxy.Pool;

namespace AgentFleet.ZaiProxy.Telemetry;

/// <summary>
/// The proxy's own instruments, exported on <c>/metrics</c>: queue length and busy workers, upstream latency,
/// tokens by kind and cost, all by model where there is one.
/// </summary>
public sealed class ProxyMetrics
{
    public const string MeterName = "AgentFleet.ZaiProxy";

    private readonly Histogram<double> _upstreamLatency;
    private readonly Counter<long> _tokens;
    private readonly Counter<double> _cost;
    private readonly Counter<long> _rejected;

    public ProxyMetrics(IMeterFactory meters, WorkerPool pool)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("zai_proxy.queue.length", () => pool.QueueLength, "{request}", "Requests waiting for a worker.");
        meter.CreateObservableGauge("zai_proxy.workers.busy", () => pool.Busy, "{worker}", "Workers holding an upstream call.");
        meter.CreateObservableGauge("zai_proxy.workers.size", () => pool.Size, "{worker}", "Workers in the pool.");
        _upstreamLatency = meter.CreateHistogram<double>("zai_proxy.upstream.duration", "s", "Time from sending an upstream attempt to its response headers.");
        _tokens = meter.CreateCounter<long>("zai_proxy.tokens", "{token}", "Tokens of completed calls, by model and kind (input, output, cache_creation, cache_read).");
        _cost = meter.CreateCounter<double>("zai_proxy.cost", "{USD}", "Priced cost of completed calls, by model.");
        _rejected = meter.CreateCounter<long>("zai_proxy.rejected", "{request}", "Requests refused before reaching the upstream, by reason.");
    }

    public void UpstreamCall(TimeSpan duration, string outcome) =>
        _upstreamLatency.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));

    public void Usage(string model, long input, long output, long cacheCreation, long cacheRead, decimal cost)
    {
        var m = new KeyValuePair<string, object?>("model", model);
        _tokens.Add(input, m, new("kind", "input"));
        _tokens.Add(output, m, new("kind", "output"));
        _tokens.Add(cacheCreation, m, new("kind", "cache_creation"));
        _tokens.Add(cacheRead, m, new("kind", "cache_read"));
        _cost.Add((double)cost, m);
    }

    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
