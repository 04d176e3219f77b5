using System.Diagnostics.Metrics;

namespace AgentFleet.Gateway.Telemetry;

/// <summary>
/// The gateway's own counters, on <c>/metrics</c> beside ASP.NET Core's request and HttpClient's upstream series:
/// refused keys by reason, rate-limited requests, failed forwards, and when the limiter ran without Redis.
/// </summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "AgentFleet.Gateway";

    private readonly Counter<long> _authFailures;
    private readonly Counter<long> _rateLimited;
    private readonly Counter<long> _forwardErrors;
    private readonly Counter<long> _localDecisions;

    public GatewayMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _authFailures = meter.CreateCounter<long>("gateway.auth.failures", "{request}", "Requests refused by authentication or authorization, by reason (missing, invalid, role, unavailable, throttled).");
        _rateLimited = meter.CreateCounter<long>("gateway.rate_limited", "{request}", "Requests refused with 429, by policy.");
        _forwardErrors = meter.CreateCounter<long>("gateway.forward.errors", "{request}", "Forwards that failed, by kind (connect, timeout, body_too_large, aborted).");
        _localDecisions = meter.CreateCounter<long>("gateway.rate_limit.local", "{request}", "Rate-limit decisions taken by the local limiter because Redis was unreachable.");
    }

    public void AuthFailed(string reason) => _authFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void RateLimited(string policy) => _rateLimited.Add(1, new KeyValuePair<string, object?>("policy", policy));

    public void ForwardFailed(string kind, string cluster) =>
        _forwardErrors.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("cluster", cluster));

    public void DecidedLocally() => _localDecisions.Add(1);
}
