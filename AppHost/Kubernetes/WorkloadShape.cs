namespace AgentFleet.AppHost.Kubernetes;

/// <summary>How each of the fleet's workloads runs on Kubernetes: what the app model does not say.</summary>
public sealed record WorkloadShape(int Replicas, string CpuRequest, string MemoryRequest, string CpuLimit, string MemoryLimit, bool Autoscaled = false, bool Stateful = false)
{
    /// <summary>
    /// Replicas as each service is safe with today: the gateway (rate limits in Redis), ManagementApi and the console
    /// (its cookie keys in Redis) are stateless. ZaiProxy keeps session spend per replica and ComfyBridge follows the
    /// jobs it queued, so one each until they share that state; SessionRunner owns its sessions and their directories
    /// (a StatefulSet with a volume).
    /// </summary>
    public static WorkloadShape For(string name) => name switch
    {
        "gateway" => new(2, "250m", "128Mi", "2", "512Mi", Autoscaled: true),
        "management-api" => new(2, "250m", "128Mi", "2", "512Mi", Autoscaled: true),
        "console" => new(2, "100m", "128Mi", "1", "512Mi"),
        "session-runner" => new(1, "500m", "256Mi", "4", "4Gi", Stateful: true),
        _ => new(1, "250m", "128Mi", "2", "512Mi"),
    };
}
