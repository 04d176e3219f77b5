namespace AgentFleet.ZaiProxy.Upstream;

/// <summary>A call that never got an upstream answer: the queue was full, the circuit open, the upstream unreachable or too slow.</summary>
public sealed class ProxyFailure(int status, string code, string message, TimeSpan? retryAfter = null) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    public TimeSpan? RetryAfter { get; } = retryAfter;
}
