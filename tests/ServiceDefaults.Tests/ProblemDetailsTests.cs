using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ServiceDefaults.Tests.Fixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;

namespace AgentFleet.ServiceDefaults.Tests;

public sealed class ProblemDetailsTests
{
    [Fact]
    public async Task AnUnknownRouteIsANotFoundProblemWithAStableCode()
    {
        using var problem = await SendAsync(HttpMethod.Get, "/no/such/thing");

        Assert.Equal(404, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("not_found", problem.RootElement.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("traceId").GetString()));
    }

    [Fact]
    public async Task AnUnhandledExceptionIsAnInternalErrorThatRevealsNothing()
    {
        using var problem = await SendAsync(HttpMethod.Get, "/boom");
        var text = problem.RootElement.GetRawText();

        Assert.Equal(500, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("internal_error", problem.RootElement.GetProperty("code").GetString());
        Assert.DoesNotContain("Password=hunter2", text);
        Assert.DoesNotContain("InvalidOperationException", text);
        Assert.DoesNotContain("at ", text);
    }

    [Fact]
    public async Task AProblemExceptionKeepsItsStatusCodeAndSuggestion()
    {
        using var problem = await SendAsync(HttpMethod.Get, "/busy");

        Assert.Equal(409, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("session_busy", problem.RootElement.GetProperty("code").GetString());
        Assert.Equal("The session is paused.", problem.RootElement.GetProperty("detail").GetString());
        Assert.Equal("Resume it first.", problem.RootElement.GetProperty("suggestion").GetString());
    }

    [Fact]
    public async Task AMalformedJsonBodyIsABadRequestProblem()
    {
        using var problem = await SendAsync(HttpMethod.Post, "/items", new StringContent("{not json", Encoding.UTF8, "application/json"));

        Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("bad_request", problem.RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task EveryProblemHasAType()
    {
        using var limited = await SendAsync(HttpMethod.Get, "/limited");
        Assert.Equal("https://www.rfc-editor.org/rfc/rfc6585#section-4", limited.RootElement.GetProperty("type").GetString());
        using var missing = await SendAsync(HttpMethod.Get, "/no/such/thing");
        Assert.False(string.IsNullOrEmpty(missing.RootElement.GetProperty("type").GetString()));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task AJsonEndpointSentAnotherContentTypeIsAnUnsupportedMediaTypeProblem(string contentType)
    {
        using var problem = await SendAsync(HttpMethod.Post, "/items", new StringContent("name=x", Encoding.UTF8, contentType));

        Assert.Equal(415, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("unsupported_media_type", problem.RootElement.GetProperty("code").GetString());
    }

    private static async Task<JsonDocument> SendAsync(HttpMethod method, string path, HttpContent? content = null)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TestApp.StartAsync(app =>
        {
            app.MapGet("/boom", string () => throw new InvalidOperationException("Host=db;Password=hunter2"));
            app.MapGet("/limited", string () => throw new ProblemException(429, "rate_limited", "Too many requests.", "Slow down."));
            app.MapGet("/busy", string () => throw new ProblemException(409, "session_busy", "Session busy", "The session is paused.", "Resume it first."));
            app.MapPost("/items", (Item item) => TypedResults.Ok(item));
            app.MapGet("/items", () => TypedResults.Ok());
            app.MapGet("/items/{id}", (string id) => TypedResults.Ok(id));
        });
        using var client = app.GetTestClient();
        using var response = await client.SendAsync(new HttpRequestMessage(method, path) { Content = content }, ct);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((HttpStatusCode)(await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("status").GetInt32(), response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
    }

    private sealed record Item(string Name);
}
