namespace AgentFleet.AgentControl;

/// <summary>Where the agent-control port is, the key to present, and how patiently to reconnect.</summary>
public sealed class AgentControlOptions
{
    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 9500;

    /// <summary>A fleet API key, or an agent's session key.</summary>
    public required string ApiKey { get; set; }

    /// <summary>The first wait before reconnecting; each failed attempt doubles it, up to <see cref="MaxBackoff"/>, with jitter.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
