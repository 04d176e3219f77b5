namespace AgentFleet.SessionRunner.Contracts;

/// <summary>
/// The Redis channel where the runner publishes each batch of a session's events (a <see cref="SessionEventBatch"/>),
/// once the batch is persisted; live streams subscribe to it.
/// </summary>
public static class SessionEventChannel
{
    public static string For(string sessionId) => $"session:{sessionId}:events";
}
