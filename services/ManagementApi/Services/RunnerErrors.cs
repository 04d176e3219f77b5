using Grpc.Core;
using AgentFleet.ServiceDefaults.Problems;

namespace AgentFleet.ManagementApi.Services;

/// <summary>SessionRunner's gRPC statuses as the ProblemDetails a client of the REST API reads.</summary>
public static class RunnerErrors
{
    public static async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException e)
        {
            throw ToProblem(e);
        }
    }

    public static ProblemException ToProblem(RpcException e) => (e.StatusCode, e.Trailers?.GetValue(ProblemCodes.GrpcTrailer)) switch
    {
        (StatusCode.PermissionDenied, var code) => new ProblemException(StatusCodes.Status403Forbidden, code ?? ProblemCodes.Forbidden, "The session runner refused this.", e.Status.Detail),
        (_, ProblemCodes.SandboxUnavailable) => new ProblemException(StatusCodes.Status503ServiceUnavailable, ProblemCodes.SandboxUnavailable,
            "Agents cannot be confined on this runner, so none is started.", e.Status.Detail, "GET /v1/status shows the sandbox and why it is unavailable."),
        (StatusCode.ResourceExhausted, ProblemCodes.ConcurrencyLimit) => new ProblemException(StatusCodes.Status429TooManyRequests, ProblemCodes.ConcurrencyLimit,
            "Too many active sessions.", e.Status.Detail, "Wait for one to finish, or stop one (DELETE /v1/sessions/{id})."),
        (StatusCode.ResourceExhausted, _) => new ProblemException(StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable, "The session runner is out of room.", e.Status.Detail),
        _ => ByStatus(e),
    };

    private static ProblemException ByStatus(RpcException e) => e.StatusCode switch
    {
        StatusCode.InvalidArgument => new ProblemException(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, "The session request is not valid.", e.Status.Detail),
        StatusCode.NotFound => new ProblemException(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "The session runner does not know this session.", e.Status.Detail),
        StatusCode.AlreadyExists => new ProblemException(StatusCodes.Status409Conflict, ProblemCodes.Conflict, "The session already exists.", e.Status.Detail),
        StatusCode.FailedPrecondition => new ProblemException(StatusCodes.Status409Conflict, "invalid_session_state", "The session cannot do that now.", e.Status.Detail),
        StatusCode.DeadlineExceeded => new ProblemException(StatusCodes.Status504GatewayTimeout, ProblemCodes.Timeout, "The session runner did not answer in time.", e.Status.Detail),
        _ => new ProblemException(StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable, "The session runner is unavailable.", e.Status.Detail,
            "Retry shortly; GET /v1/status shows each service's health."),
    };
}
