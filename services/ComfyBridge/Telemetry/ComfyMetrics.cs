using System.Diagnostics.Metrics;
using AgentFleet.ComfyBridge.ComfyUi;

namespace AgentFleet.ComfyBridge.Telemetry;

/// <summary>
/// The bridge's own instruments, exported on <c>/metrics</c>: workflow duration by outcome, ComfyUI's queue length per
/// server, bytes of outputs copied, failures by reason.
/// </summary>
public sealed class ComfyMetrics
{
    public const string MeterName = "AgentFleet.ComfyBridge";

    private readonly Histogram<double> _duration;
    private readonly Counter<long> _outputBytes;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _submitted;

    public ComfyMetrics(IMeterFactory meters, ComfyServerPool pool)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("comfy_bridge.queue.length",
            () => pool.Servers.Select(s => new Measurement<int>(s.QueueRemaining, new KeyValuePair<string, object?>("server", s.Url))),
            "{prompt}", "Prompts running or waiting on each ComfyUI server, as it last announced.");
        meter.CreateObservableGauge("comfy_bridge.servers.connected", () => pool.Servers.Count(s => s.Connected), "{server}", "ComfyUI servers the bridge is connected to.");
        _duration = meter.CreateHistogram<double>("comfy_bridge.workflow.duration", "s", "Time from submission to the end of a workflow, by final status.");
        _outputBytes = meter.CreateCounter<long>("comfy_bridge.output.bytes", "By", "Bytes of output files copied from ComfyUI.");
        _failures = meter.CreateCounter<long>("comfy_bridge.workflow.failures", "{workflow}", "Workflows that failed, by reason.");
        _submitted = meter.CreateCounter<long>("comfy_bridge.workflow.submitted", "{workflow}", "Workflows handed to ComfyUI.");
    }

    public void Submitted() => _submitted.Add(1);

    public void Finished(string status, TimeSpan duration) =>
        _duration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("status", status));

    public void Failed(string reason) => _failures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void OutputCopied(long bytes) => _outputBytes.Add(bytes);
}
