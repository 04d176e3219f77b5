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

    /// <summary>Each violation of a request that breaks several rules at once, by its JSON path: sent as <c>errors</c>.</summary>
    public IReadOnlyList<ProblemError>? Errors { get; init; }
}

/// <summary>One violation: where in the request (a JSON path such as <c>$.variables.branch</c>) and what is wrong there.</summary>
public sealed record ProblemError(string Path, string Message);
