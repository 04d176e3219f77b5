using Grpc.Core;
using AgentFleet.SessionRunner.Approvals;
using AgentFleet.SessionRunner.Contracts;

namespace AgentFleet.SessionRunner.Services;

/// <summary>
/// What a start request must be before anything is created: a task, a timeout in range, no NUL anywhere (a C
/// string ends there, PostgreSQL refuses it), and a command vector of bounded size.
/// </summary>
public static class SessionRequestRules
{
    public static void Validate(StartSessionRequest request, SessionRunnerOptions options)
    {
        if (string.IsNullOrWhiteSpace(request.Task))
        {
            throw Invalid("A task is required.");
        }
        if (request.Task.Length > options.MaxTaskLength)
        {
            throw Invalid($"The task is {request.Task.Length} characters; the limit is {options.MaxTaskLength}.");
        }
        if (request.TimeoutSeconds < 0 || request.TimeoutSeconds > options.MaxTimeoutSeconds)
        {
            throw Invalid($"timeoutSeconds must be between 1 and {options.MaxTimeoutSeconds}.");
        }
        foreach (var (field, value) in new[] { ("task", request.Task), ("model", request.Model), ("provider", request.Provider) })
        {
            if (value.Contains('\0'))
            {
                throw Invalid($"{field} contains a NUL character (\\u0000), which no agent can be given.");
            }
        }
        if (request.ApprovalPolicy is { Length: > 0 } policy)
        {
            // Who may loosen it (an admin, or an admin's template) is ManagementApi's to check; here only the value.
            if (!RiskLevels.Policies.Contains(policy))
            {
                throw Invalid($"approvalPolicy must be one of {string.Join(", ", RiskLevels.Policies)}: the highest risk decided without a person.");
            }
        }
        if (request.Command.Count > options.MaxCommandArguments)
        {
            throw Invalid($"command has {request.Command.Count} elements; the limit is {options.MaxCommandArguments}.");
        }
        long total = 0;
        for (var i = 0; i < request.Command.Count; i++)
        {
            var argument = request.Command[i];
            if (argument.Contains('\0'))
            {
                throw Invalid($"command[{i}] contains a NUL character (\\u0000), which would cut the argument short.");
            }
            if (argument.Length > options.MaxCommandArgumentLength)
            {
                throw Invalid($"command[{i}] is {argument.Length} characters; the limit is {options.MaxCommandArgumentLength}.");
            }
            total += argument.Length;
        }
        if (total > options.MaxCommandLength)
        {
            throw Invalid($"command is {total} characters in all; the limit is {options.MaxCommandLength}.");
        }
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
