namespace AgentFleet.ServiceDefaults.Resilience;

/// <summary>Settings of the HTTP resilience pipelines. Defaults suit calls between services on one network.</summary>
public sealed record ResilienceOptions
{
    /// <summary>One attempt, up to the response headers. </summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>All attempts and the delays between them; null for streaming calls, which may run for hours.</summary>
    public TimeSpan? TotalTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxRetryAttempts { get; init; } = 3;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>A longer <c>Retry-After</c> than this is not waited for: the failure goes to the caller.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(30);

    public double FailureRatio { get; init; } = 0.5;
    public int MinimumThroughput { get; init; } = 10;
    public TimeSpan SamplingDuration { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(5);

    public static ResilienceOptions Standard { get; } = new();

    public static ResilienceOptions Streaming { get; } = new() { TotalTimeout = null };
}
