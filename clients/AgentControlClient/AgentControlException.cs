namespace AgentFleet.AgentControl;

/// <summary>The port refused: <see cref="Code"/> is the JSON-RPC error code (-32001: the key was not accepted).</summary>
public sealed class AgentControlException(int code, string message) : Exception(message)
{
    public const int Unauthenticated = -32001;

    public int Code { get; } = code;
}
