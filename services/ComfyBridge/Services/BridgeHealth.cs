using AgentFleet.ComfyBridge.ComfyUi;
using AgentFleet.ComfyBridge.Jobs;
using AgentFleet.ServiceDefaults.Health;

namespace AgentFleet.ComfyBridge.Services;

/// <summary>What <c>/health</c> says about ComfyUI beside the checks: whether it is configured, which servers are connected, and which replica answers.</summary>
public sealed class BridgeHealth(ComfyServerPool pool, JobTracker tracker, Microsoft.Extensions.Options.IOptions<Options.ComfyOptions> options) : IHealthDetails
{
    public IEnumerable<KeyValuePair<string, object?>> Describe()
    {
        yield return new("comfyui", pool.IsConfigured ? $"{pool.Servers.Count(s => s.Connected)}/{pool.Servers.Count} servers connected" : "not configured");
        // This replica's own: the jobs it follows, among replicas sharing the database.
        yield return new("activeJobs", tracker.InFlight);
        yield return new("bridge", options.Value.BridgeId);
    }
}
