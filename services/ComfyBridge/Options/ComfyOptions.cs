namespace AgentFleet.ComfyBridge.Options;

/// <summary>The <c>ComfyUI</c> section: which ComfyUI servers to use and how the bridge keeps its jobs.</summary>
public sealed class ComfyOptions
{
    public const string Section = "ComfyUI";

    /// <summary>Base URLs of the ComfyUI servers (<c>ComfyUI__Servers__0</c>, ...); new work goes to the least busy.</summary>
    public List<string> Servers { get; set; } = [];

    /// <summary>
    /// The start of the client id the bridge connects to ComfyUI's <c>/ws</c> with and queues prompts under; the
    /// bridge's id follows it (<see cref="SocketClientId"/>).
    /// </summary>
    public string ClientId { get; set; } = "agent-fleet";

    /// <summary>
    /// This bridge among the replicas that share the database (default: the host name, distinct per Kubernetes pod;
    /// replicas on one host must each set their own). It names the jobs the bridge follows, and must stay the same
    /// across its restarts so it finds them again.
    /// </summary>
    public string BridgeId { get; set; } = Environment.MachineName.ToLowerInvariant();

    /// <summary>
    /// <c>{ClientId}-{BridgeId}</c>: ComfyUI keeps one socket per client id and sends a prompt's messages to the one
    /// that queued it, so each replica needs its own; it stays the same across restarts, so the progress of prompts
    /// queued before a restart still reaches the bridge.
    /// </summary>
    public string SocketClientId => $"{ClientId}-{BridgeId}";

    /// <summary>How often the bridge renews its lease in <c>comfy_bridges</c> and claims jobs whose bridge is gone.</summary>
    public TimeSpan BridgeHeartbeat { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a bridge that stopped renewing keeps its jobs before another claims them (default: 6 heartbeats).</summary>
    public TimeSpan? BridgeLease { get; set; }

    public TimeSpan Lease => BridgeLease ?? BridgeHeartbeat * 6;

    /// <summary>Where the bridge keeps the files its jobs produced (default: <c>comfy-outputs</c> under the working directory).</summary>
    public string OutputDirectory { get; set; } = "comfy-outputs";

    /// <summary>How long outputs are kept before the cleanup deletes them.</summary>
    public TimeSpan OutputRetention { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often in-flight jobs are checked against ComfyUI's queue and history, in case a message was missed.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many times a job ComfyUI lost (it restarted with the job queued or running) is queued again.</summary>
    public int Resubmits { get; set; } = 1;

    /// <summary>The secret webhook bodies are signed with (HMAC-SHA256); without one, webhooks are refused at submission.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>Lets webhooks reach loopback, private and link-local addresses (off: only public ones, see WebhookTargets).</summary>
    public bool AllowPrivateWebhooks { get; set; }

    /// <summary>Deliveries of one webhook, the first included, before it is given up.</summary>
    public int WebhookAttempts { get; set; } = 6;

    /// <summary>The wait before the second delivery; it doubles with each further one.</summary>
    public TimeSpan WebhookInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The largest API-format workflow accepted, in nodes.</summary>
    public int MaxNodes { get; set; } = 2000;
}
