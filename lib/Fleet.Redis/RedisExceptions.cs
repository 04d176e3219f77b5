namespace AgentFleet.Redis;

/// <summary>The server answered with an error reply (<c>-ERR ...</c>, <c>-WRONGTYPE ...</c>).</summary>
public sealed class RedisServerException(string message) : Exception(message)
{
    /// <summary>The first word of the error: ERR, WRONGTYPE, NOSCRIPT, NOAUTH ...</summary>
    public string Kind { get; } = message.Split(' ', 2)[0];
}

/// <summary>
/// No connection, or it was lost while the command was in flight. A command that was in flight may or
/// may not have run; it is never sent again by this client.
/// </summary>
public sealed class RedisConnectionException(string message, Exception? inner = null) : Exception(message, inner);
