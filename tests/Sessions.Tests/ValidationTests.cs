using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
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

    [Fact]
    public async Task NulCharactersAreA400ThatNamesTheField()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        (object Request, string Field)[] cases =
        [
            (new { agent = "claude", task = "a\u0000b" }, "task"),
            (new { agent = "claude", task = "x", model = "m\u0000" }, "model"),
            (new { agent = "claude", task = "x", provider = "\u0000p" }, "provider"),
            (new { agent = "command", task = "x", command = new[] { "echo", "cut\u0000here" } }, "command[1]"),
        ];
        foreach (var (request, field) in cases)
        {
            var (response, problem) = await fleet.PostJsonAsync("/v1/sessions", request, ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("validation_failed", problem!["code"]!.GetValue<string>());
            Assert.StartsWith(field, problem["detail"]!.GetValue<string>());
        }
        using var status = await fleet.Http.GetAsync("/v1/sessions?status=%00", ct);
        Assert.Equal(HttpStatusCode.BadRequest, status.StatusCode);
        Assert.Contains("status", (await status.Content.ReadFromJsonAsync<JsonObject>(ct))!["detail"]!.GetValue<string>());
        var (key, keyProblem) = await fleet.PostJsonAsync("/v1/keys", new { name = "ci\u0000bot", role = "viewer" }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, key.StatusCode);
        Assert.StartsWith("name", keyProblem!["detail"]!.GetValue<string>());
        Assert.Equal(0, (await fleet.Http.GetFromJsonAsyncObject("/v1/sessions", ct))["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task AHugeCommandIsA400ThatDoesNotEchoItAndOtherStreamsCarryOn()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        // Another owner's log, followed on the connection ManagementApi shares with the runner.
        var other = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "sh", "-c", "for i in 1 2 3 4 5 6 7 8; do echo line-$i; sleep 0.4; done" }, task = "print slowly" }, ct);
        using var follow = await fleet.Http.GetAsync($"/v1/sessions/{other}/log?follow=true", HttpCompletionOption.ResponseHeadersRead, ct);
        using var reader = new StreamReader(await follow.Content.ReadAsStreamAsync(ct));
        Assert.Equal("line-1", await reader.ReadLineAsync(ct));

        object[] huge =
        [
            new { agent = "command", task = "x", command = new[] { new string('a', 70_000) } },
            new { agent = "command", task = "x", command = Enumerable.Repeat("arg", 2000).Prepend("echo").ToArray() },
            new { agent = "command", task = "x", command = Enumerable.Repeat(new string('b', 30_000), 10).Prepend("echo").ToArray() },
        ];
        foreach (var request in huge)
        {
            var (response, problem) = await fleet.PostJsonAsync("/v1/sessions", request, ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("validation_failed", problem!["code"]!.GetValue<string>());
            Assert.True(problem.ToJsonString().Length < 2000, $"{problem.ToJsonString().Length} characters of problem");
        }
        // The runner's own answer to a program it lacks quotes the name only in part.
        var (missing, missingProblem) = await fleet.PostJsonAsync("/v1/sessions", new { agent = "command", task = "x", command = new[] { new string('z', 20_000) } }, ct);
        Assert.Equal(HttpStatusCode.Conflict, missing.StatusCode);
        Assert.True(missingProblem!.ToJsonString().Length < 2000);

        var rest = await reader.ReadToEndAsync(ct);
        Assert.EndsWith("line-8", rest.TrimEnd());
    }

    [Fact]
    public async Task StreamPositionsPastTheEndGiveNothingAndNegativeOnesAre400()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        var id = await fleet.StartSessionAsync(new { agent = "command", command = new[] { "echo", "only line" }, task = "print" }, ct);
        await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "completed", ct);

        using (var beyond = await fleet.Http.GetAsync($"/v1/sessions/{id}/events?since={long.MaxValue}", ct))
        {
            Assert.Equal(HttpStatusCode.OK, beyond.StatusCode);
            Assert.DoesNotContain("data:", await beyond.Content.ReadAsStringAsync(ct));
        }
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/sessions/{id}/events"))
        {
            request.Headers.Add("Last-Event-ID", long.MaxValue.ToString());
            using var beyond = await fleet.Http.SendAsync(request, ct);
            Assert.DoesNotContain("data:", await beyond.Content.ReadAsStringAsync(ct));
        }
        Assert.Empty((await fleet.Http.GetFromJsonAsyncObject($"/v1/sessions/{id}/messages?since={long.MaxValue}", ct))["events"]!.AsArray());

        foreach (var path in new[] { $"/v1/sessions/{id}/events?since=-1", $"/v1/sessions/{id}/ws?since=-1", $"/v1/sessions/{id}/messages?since=-1" })
        {
            using var negative = await fleet.Http.GetAsync(path, ct);
            Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
            Assert.Equal("validation_failed", (await negative.Content.ReadFromJsonAsync<JsonObject>(ct))!["code"]!.GetValue<string>());
        }
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/sessions/{id}/events"))
        {
            request.Headers.Add("Last-Event-ID", "-5");
            using var negative = await fleet.Http.SendAsync(request, ct);
            Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
        }
    }

    [Theory]
    [InlineData("text/plain", "{\"agent\": \"claude\", \"task\": \"x\"}")]
    [InlineData("application/xml", "<session><agent>claude</agent></session>")]
    [InlineData("application/x-www-form-urlencoded", "agent=claude&task=x")]
    public async Task AJsonEndpointSentAnotherContentTypeIs415(string contentType, string body)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        using var response = await fleet.Http.PostAsync("/v1/sessions", new StringContent(body, System.Text.Encoding.UTF8, contentType), ct);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
        Assert.Equal("unsupported_media_type", problem!["code"]!.GetValue<string>());
    }
}
