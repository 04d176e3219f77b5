using AgentFleet.ComfyBridge.ComfyUi;
using AgentFleet.ComfyBridge.Jobs;
using AgentFleet.ComfyBridge.Options;
using AgentFleet.ComfyBridge.Outputs;
using AgentFleet.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace AgentFleet.ComfyBridge.Model;

/// <summary>What the ComfyUI endpoints depend on, as one [AsParameters] record, with the caller the gateway vouched for.</summary>
public sealed record ComfyServices(
    CallerIdentity Caller,
    JobStore Jobs,
    JobTracker Tracker,
    JobStreamer Streamer,
    JobEventHub Hub,
    OutputStore Outputs,
    ComfyServerPool Pool,
    IOptions<ComfyOptions> Options)
{
    /// <summary>The owner whose workflows and outputs the caller reaches; null for an admin, who reaches all.</summary>
    public string? OwnerFilter => Caller.IsAdmin ? null : Caller.Owner;
}
