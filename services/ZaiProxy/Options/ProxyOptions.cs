namespace AgentFleet.ZaiProxy.Options;

/// <summary>Where model calls go. Without an <see cref="ApiKey"/> (or with <see cref="Simulated"/>) they go to the simulated model.</summary>
public sealed class UpstreamOptions
{
    public const string Section = "Upstream";

    /// <summary>Z.AI's Anthropic-compatible endpoint by default; requests go to <c>{BaseUrl}/v1/messages</c>.</summary>
    public string BaseUrl { get; set; } = "https://api.z.ai/api/anthropic";

    /// <summary>From configuration only (an AppHost parameter or the environment); it never leaves the proxy.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The header the upstream reads its key from: <c>x-api-key</c> (Anthropic, Z.AI) or <c>authorization</c> (sent as Bearer).</summary>
    public string AuthHeader { get; set; } = "x-api-key";

    /// <summary>Forces the simulated model even when a key is configured (tests, benchmarks, demos).</summary>
    public bool Simulated { get; set; }

    public bool UsesSimulation => Simulated || string.IsNullOrEmpty(ApiKey);

    /// <summary>Retries of 429, 529, 5xx and connection failures, before anything has reached the caller.</summary>
    public int MaxRetries { get; set; } = 3;

    public double RetryBaseDelayMs { get; set; } = 500;

    public double RetryMaxDelayMs { get; set; } = 10_000;

    /// <summary>
    /// The circuit opens when every call of the last <see cref="BreakerSamplingSeconds"/> failed (a 5xx or no connection),
    /// at least this many of them, and stays open <see cref="BreakerSeconds"/>.
    /// </summary>
    public int BreakerFailures { get; set; } = 5;

    public double BreakerSamplingSeconds { get; set; } = 10;

    public double BreakerSeconds { get; set; } = 30;

    /// <summary>The model <c>/chat</c> uses when the caller names none.</summary>
    public string DefaultModel { get; set; } = "claude-sonnet-4-5";
}

/// <summary>The worker pool and its queue (the original design's <c>CLAUDE_WORKER_POOL_SIZE</c> and <c>CLAUDE_MAX_QUEUE_SIZE</c>).</summary>
public sealed class PoolOptions
{
    public const string Section = "Pool";

    public int Size { get; set; } = 4;

    public int MaxQueue { get; set; } = 50;

    /// <summary>A whole call without streaming, queue wait included; <c>/chat</c> callers may ask for less or more.</summary>
    public double RequestTimeoutSeconds { get; set; } = 30;

    /// <summary>The longest silence between two events of a streamed reply before it is given up.</summary>
    public double StreamIdleTimeoutSeconds { get; set; } = 120;

    /// <summary>Reads the legacy environment names when they are set, as the original deployment did.</summary>
    public static void ApplyEnvironment(PoolOptions options, IConfiguration configuration)
    {
        if (int.TryParse(configuration["CLAUDE_WORKER_POOL_SIZE"], out var size) && size > 0)
        {
            options.Size = size;
        }
        if (int.TryParse(configuration["CLAUDE_MAX_QUEUE_SIZE"], out var queue) && queue >= 0)
        {
            options.MaxQueue = queue;
        }
    }
}
