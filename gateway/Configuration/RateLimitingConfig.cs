namespace AgentFleet.Gateway.Configuration;

/// <summary>The <c>RateLimiting</c> section.</summary>
public sealed class RateLimitingConfig
{
    public const string Section = "RateLimiting";

    /// <summary>The original design's limit: 100 requests a minute.</summary>
    public const int DefaultPermitLimit = 100;

    /// <summary>The policy of a route that names none.</summary>
    public string DefaultPolicy { get; set; } = "default";

    public Dictionary<string, RateLimitPolicyConfig> Policies { get; set; } = [];

    /// <summary>Requests from 127.0.0.1 or ::1 are not limited; off unless set.</summary>
    public bool ExemptLoopback { get; set; }

    /// <summary>How long a Redis round trip may take before the local limiter decides instead.</summary>
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromMilliseconds(250);
}

public sealed class RateLimitPolicyConfig
{
    public int PermitLimit { get; set; } = RateLimitingConfig.DefaultPermitLimit;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}
