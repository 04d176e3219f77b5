namespace AgentFleet.Hosting.Orchestration;

/// <summary>What the status table and <c>.fleet/apphost/resources.json</c> show of one resource.</summary>
public sealed record ResourceState(
    string Name,
    string Kind,
    string State,
    string Health,
    int? Pid,
    int Restarts,
    IReadOnlyDictionary<string, string> Endpoints);

public static class States
{
    public const string Waiting = "Waiting";
    public const string Starting = "Starting";
    public const string Running = "Running";
    public const string Restarting = "Restarting";
    public const string FailedToStart = "FailedToStart";
    public const string Stopping = "Stopping";
    public const string Stopped = "Stopped";
    public const string Finished = "Finished";
}

public static class HealthStates
{
    public const string Unknown = "Unknown";
    public const string Healthy = "Healthy";
    public const string Unhealthy = "Unhealthy";
}
