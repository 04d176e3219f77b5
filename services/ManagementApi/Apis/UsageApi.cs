using AgentFleet.ManagementApi.Model;
using AgentFleet.ManagementApi.Services;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.ZaiProxy.Contracts;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentFleet.ManagementApi.Apis;

/// <summary>
/// Model usage from ZaiProxy's records, grouped by session, key, model or day: an owner's keys' calls, or everyone's
/// for an admin.
/// </summary>
public static class UsageApi
{
    public static readonly string[] Groupings = ["session", "key", "model", "day"];

    public static IEndpointRouteBuilder MapUsageApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/usage", GetUsage).WithTags("Usage").WithName("GetUsage")
            .WithSummary("Tokens (input, output, cache) and cost grouped by session, key, model or day")
            .ProducesProblems(ProblemResponses.Common);
        return app;
    }

    public static async Task<Ok<UsageView>> GetUsage(CallerIdentity caller, ApiKeyStore keys, ZaiProxyGrpc.ZaiProxyClient proxy,
        string? groupBy, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        var grouping = groupBy ?? "day";
        if (!Groupings.Contains(grouping))
        {
            throw Invalid($"groupBy must be one of {string.Join(", ", Groupings)}.");
        }
        if (from is { } start && to is { } end && end <= start)
        {
            throw Invalid("to must be after from.");
        }
        var request = new UsageReportRequest { GroupBy = grouping, AllKeys = caller.IsAdmin };
        if (!caller.IsAdmin)
        {
            request.ApiKeyIds.AddRange(await keys.KeysOfOwnerAsync(caller.Owner, cancellationToken));
            request.ApiKeyIds.Add(caller.KeyId);
        }
        if (from is { } since)
        {
            request.From = Timestamp.FromDateTimeOffset(since);
        }
        if (to is { } until)
        {
            request.To = Timestamp.FromDateTimeOffset(until);
        }
        try
        {
            var report = await proxy.GetUsageReportAsync(request, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken));
            return TypedResults.Ok(new UsageView(grouping, from, to, [.. report.Rows.Select(UsageLine.From)], UsageLine.From(report.Total ?? new UsageRow()) with { Group = "total" }));
        }
        catch (RpcException e)
        {
            throw new ProblemException(StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable, "Usage is kept by ZaiProxy, which did not answer.",
                e.Status.Detail, "Retry shortly; GET /v1/status shows each service's health.");
        }
    }

    private static ProblemException Invalid(string detail) =>
        new(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, "The request is not valid.", detail);
}
