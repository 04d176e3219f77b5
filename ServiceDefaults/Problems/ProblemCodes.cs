using Microsoft.AspNetCore.Http;

namespace AgentFleet.ServiceDefaults.Problems;

/// <summary>Stable machine-readable <c>code</c> values for ProblemDetails. Clients switch on these, never on titles.</summary>
public static class ProblemCodes
{
    public const string BadRequest = "bad_request";
    public const string ValidationFailed = "validation_failed";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string InvalidKey = "invalid_key";
    public const string InsufficientRole = "insufficient_role";
    public const string NotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string Conflict = "conflict";
    public const string PayloadTooLarge = "payload_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string RateLimited = "rate_limited";
    public const string ConcurrencyLimit = "concurrency_limit";
    public const string InternalError = "internal_error";
    public const string Unavailable = "service_unavailable";
    public const string Timeout = "timeout";
    public const string BadGateway = "bad_gateway";
    public const string AgentNotAllowed = "agent_not_allowed";
    public const string SandboxUnavailable = "sandbox_unavailable";
    public const string DatabaseUnavailable = "database_unavailable";
    public const string ApprovalDecided = "approval_decided";
    public const string PolicyNotAllowed = "policy_not_allowed";
    public const string BudgetExceeded = "budget_exceeded";
    public const string PersonRequired = "person_required";
    public const string DepthExceeded = "depth_exceeded";

    /// <summary>
    /// The gRPC trailer in which a service names the code its error should reach a REST client with, where the
    /// status alone does not say it (two different refusals can both be FAILED_PRECONDITION).
    /// </summary>
    public const string GrpcTrailer = "fleet-problem-code";

    /// <summary>The code a status gets when the code that produced it named none.</summary>
    public static string ForStatus(int status) => status switch
    {
        StatusCodes.Status400BadRequest => BadRequest,
        StatusCodes.Status401Unauthorized => Unauthorized,
        StatusCodes.Status403Forbidden => Forbidden,
        StatusCodes.Status404NotFound => NotFound,
        StatusCodes.Status405MethodNotAllowed => MethodNotAllowed,
        StatusCodes.Status409Conflict => Conflict,
        StatusCodes.Status413PayloadTooLarge => PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType => UnsupportedMediaType,
        StatusCodes.Status422UnprocessableEntity => ValidationFailed,
        StatusCodes.Status429TooManyRequests => RateLimited,
        StatusCodes.Status502BadGateway => BadGateway,
        StatusCodes.Status503ServiceUnavailable => Unavailable,
        StatusCodes.Status504GatewayTimeout => Timeout,
        >= 500 => InternalError,
        _ => BadRequest,
    };
}
