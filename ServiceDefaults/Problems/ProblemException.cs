namespace AgentFleet.ServiceDefaults.Problems;

/// <summary>
/// Thrown where a handler cannot return a result directly; becomes a ProblemDetails with this status,
/// code and detail. The detail is shown to the caller, so it must not carry internals.
/// </summary>
public sealed class ProblemException(int status, string code, string title, string? detail = null, string? suggestion = null, TimeSpan? retryAfter = null)
    : Exception(detail ?? title)
{
    /// <summary>When to try again: sent as <c>Retry-After</c> (whole seconds) and <c>retryAfterSeconds</c>.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    public int Status { get; } = status;
    public string Code { get; } = code;
    public string Title { get; } = title;
    public string? Detail { get; } = detail;
    public string? Suggestion { get; } = suggestion;
}
