using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace AgentFleet.ServiceDefaults.Problems;

/// <summary>Declares the ProblemDetails answers an endpoint or a group gives, so its OpenAPI document shows them.</summary>
public static class ProblemResponses
{
    /// <summary>What every authenticated API route can answer: bad input, no or a refused identity, absent, the database away.</summary>
    public static readonly int[] Common = [StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
        StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable];

    /// <summary><c>ProducesProblem</c> for each status.</summary>
    public static TBuilder ProducesProblems<TBuilder>(this TBuilder builder, params int[] statuses) where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in statuses)
        {
            builder.ProducesProblem(status);
        }
        return builder;
    }
}
