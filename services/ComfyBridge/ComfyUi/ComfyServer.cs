namespace AgentFleet.ComfyBridge.ComfyUi;

/// <summary>One configured ComfyUI server: its client, and what the bridge last saw of it.</summary>
public sealed class ComfyServer(string url, ComfyUiClient client)
{
    /// <summary>The server's base URL as configured, which is also how jobs record where they run.</summary>
    public string Url { get; } = url;

    public ComfyUiClient Client { get; } = client;

    /// <summary>True while the bridge's WebSocket to the server is open.</summary>
    public volatile bool Connected;

    /// <summary>The queue size ComfyUI last announced (<c>status.exec_info.queue_remaining</c>).</summary>
    public volatile int QueueRemaining;

    public string? LastError { get; set; }

    /// <summary>
    /// The prompt ComfyUI is executing, from its <c>execution_start</c> and <c>executing</c> messages: binary preview
    /// frames name no prompt, and belong to this one.
    /// </summary>
    public volatile string? ExecutingPrompt;
}
