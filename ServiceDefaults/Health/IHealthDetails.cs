namespace AgentFleet.ServiceDefaults.Health;

/// <summary>
/// Top-level fields a service adds to its <c>/health</c> body about itself, beside the checks (ZaiProxy reports its
/// workers, queue and uptime there, as the original design's <c>/health</c> did).
/// </summary>
public interface IHealthDetails
{
    IEnumerable<KeyValuePair<string, object?>> Describe();
}
