namespace AgentFleet.AppHost.Kubernetes;

/// <summary>How each of the fleet's workloads runs on Kubernetes: what the app model does not say.</summary>
public sealed record WorkloadShape(int Replicas, string CpuRequest, string MemoryRequest, string CpuLimit, string MemoryLimit, bool Autoscaled = false, bool Stateful = false)
{
    /// <summary>
    /// Replicas as each service is safe with: the gateway (rate limits in Redis), ManagementApi and the console (its
    /// cookie keys in Redis) are stateless, and ZaiProxy's replicas share budgets' spend in Redis. SessionRunner's
    /// replicas each own their sessions and directories (a StatefulSet with a volume each). ComfyBridge runs one until
    /// its replicas share the jobs they follow.
    /// </summary>
    public static WorkloadShape For(string name) => name switch
    {
        "gateway" => new(2, "250m", "128Mi", "2", "512Mi", Autoscaled: true),
        "management-api" => new(2, "250m", "128Mi", "2", "512Mi", Autoscaled: true),
        "console" => new(2, "100m", "128Mi", "1", "512Mi"),
        "zai-proxy" => new(2, "250m", "128Mi", "2", "512Mi"),
        "session-runner" => new(2, "500m", "256Mi", "4", "4Gi", Stateful: true),
        _ => new(1, "250m", "128Mi", "2", "512Mi"),
    };
}
