using Grpc.Core;
using AgentFleet.ManagementApi.Model;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.SessionRunner.Contracts;

namespace AgentFleet.ManagementApi.Services;

/// <summary>
/// Starts a session on the runner without ever leaving an agent running that nobody can see. A refusal (the runner
/// answered no) means nothing started, and the runner keeps no record of it. No answer (a deadline, a dropped
/// connection, the caller leaving) may mean it did: the start is idempotent for the same id, so it is asked again; if
/// the runner still cannot be heard, the session is stopped if the runner has it, so it stays visible and counted.
/// </summary>
public static partial class RunnerStart
{
    private static readonly TimeSpan[] Retries = [TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1)];

    /// <param name="parentRunnerId">The runner of the session whose agent asks for this one: the child runs there.</param>
    public static async Task<SessionInfo> StartAsync(StartSessionRequest start, SessionServices services, string? parentRunnerId)
    {
        var id = Guid.Parse(start.SessionId);
        // Retries go to the same runner: the start is idempotent there, and another runner would refuse a session this one holds.
        var (runner, _) = await services.Runners.PlaceAsync(parentRunnerId, CancellationToken.None);
        var timeout = TimeSpan.FromSeconds(services.Limits.Value.RunnerStartTimeoutSeconds);
        RpcException? unanswered = null;
        for (var attempt = 0; attempt <= Retries.Length; attempt++)
        {
            try
            {
                // A caller that leaves does not cut the start short: its outcome must be known either way.
                return await runner.StartSessionAsync(start, new CallOptions(deadline: DateTime.UtcNow + timeout));
            }
            catch (RpcException e) when (IsRefusal(e.StatusCode))
            {
                throw RunnerErrors.ToProblem(e);
            }
            catch (RpcException e)
            {
                unanswered = e;
                LogUnanswered(services.Logger, id, attempt + 1, e.StatusCode.ToString());
                if (attempt < Retries.Length)
                {
                    await Task.Delay(Retries[attempt], CancellationToken.None);
                }
            }
        }
        await StopOrForgetAsync(id, runner, services);
        throw new ProblemException(StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable, "The session runner did not confirm the start.",
            $"Session {id} was not confirmed ({unanswered!.StatusCode}); if the runner had started it, it has been stopped.",
            $"GET /v1/sessions/{id} shows what became of it; create the session again.");
    }

    // Only an answer that says no proves nothing started; silence proves nothing.
    private static bool IsRefusal(StatusCode code) => code is StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.PermissionDenied
        or StatusCode.AlreadyExists or StatusCode.ResourceExhausted or StatusCode.NotFound or StatusCode.Unauthenticated or StatusCode.OutOfRange
        or StatusCode.Unimplemented;

    private static async Task StopOrForgetAsync(Guid id, SessionRunnerGrpc.SessionRunnerClient runner, SessionServices services)
    {
        try
        {
            await runner.StopSessionAsync(new SessionRef { SessionId = id.ToString() },
                new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            // The runner never had it: there is nothing to show.
        }
        catch (RpcException e)
        {
            // Still no answer: whatever the runner recorded stays, visible and counted against its owner, and can be stopped later.
            LogUnanswered(services.Logger, id, 0, e.StatusCode.ToString());
        }
    }

    [LoggerMessage(LogLevel.Warning, "The runner did not answer the start of session {SessionId} (attempt {Attempt}): {Status}")]
    private static partial void LogUnanswered(ILogger logger, Guid sessionId, int attempt, string status);
}
