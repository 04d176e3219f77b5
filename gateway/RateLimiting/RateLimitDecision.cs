namespace AgentFleet.Gateway.RateLimiting;

/// <summary>One request's answer from a bucket: let through or not, what is left, and when a token will be there.</summary>
public readonly record struct RateLimitDecision(bool Allowed, long Remaining, TimeSpan RetryAfter);
