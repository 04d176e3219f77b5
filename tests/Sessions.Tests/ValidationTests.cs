using System.Net;
using AgentFleet.Sessions.Tests.Fixtures;

namespace AgentFleet.Sessions.Tests;

/// <summary>Bad session requests get a 400 ProblemDetails with a stable code, and nothing is created.</summary>
public sealed class ValidationTests(SessionsFixture infrastructure)
{
    [Fact]
    public async Task BadSessionRequestsAreRejectedWithProblemDetails()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        object[] requests =
        [
            new { agent = "nope", task = "x" },
            new { agent = "claude" },
            new { agent = "claude", task = "   " },
            new { agent = "claude", task = new string('x', 100_001) },
            new { agent = "claude", task = "x", timeoutSeconds = 0 },
            new { agent = "claude", task = "x", timeoutSeconds = -5 },
            new { agent = "command", task = "x" },
            new { agent = "command", task = "x", command = Array.Empty<string>() },
            new { agent = "command", task = "x", command = new[] { "" } },
        ];
        foreach (var request in requests)
        {
            var (response, problem) = await fleet.PostJsonAsync("/v1/sessions", request, ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("validation_failed", problem!["code"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(problem["detail"]?.GetValue<string>()));
        }
        var (missing, missingProblem) = await fleet.PostJsonAsync("/v1/sessions", new { agent = "command", task = "x", command = new[] { "no-such-program-anywhere" } }, ct);
        Assert.Equal(HttpStatusCode.Conflict, missing.StatusCode);
        Assert.Contains("no-such-program-anywhere", missingProblem!["detail"]!.GetValue<string>());

        var page = await fleet.Http.GetFromJsonAsyncObject("/v1/sessions", ct);
        Assert.Equal(0, page["total"]!.GetValue<int>());
        using var unknown = await fleet.Http.GetAsync($"/v1/sessions/{Guid.NewGuid()}", ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
