using AgentFleet.ComfyBridge.ComfyUi;
using AgentFleet.ComfyBridge.Jobs;
using AgentFleet.ServiceDefaults.Health;

namespace AgentFleet.ComfyBridge.Services;

/// <summary>What <c>/health</c> says about ComfyUI beside the checks: whether it is configured, and which servers are connected.</summary>
public sealed class BridgeHealth(ComfyServerPool pool, JobTracker tracker) : IHealthDetails
{
    public IEnumerable<KeyValuePair<string, object?>> Describe()
    {
        yield return new("comfyui", pool.IsConfigured ? $"{pool.Servers.Count(s => s.Connected)}/{pool.Servers.Count} servers connected" : "not configured");
        yield return new("activeJobs", tracker.InFlight);
    }
}
