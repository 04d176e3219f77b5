using System.Net;
using System.Text.Json.Nodes;

namespace AgentFleet.ComfyBridge.Tests.Fixtures;

public static class Problem
{
    /// <summary>Asserts the status and the ProblemDetails <c>code</c> of an answer, showing the body when they differ.</summary>
    public static async Task<JsonObject> AssertAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.StartsWith("application/problem+json", response.Content.Headers.ContentType?.ToString());
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(code, body["code"]!.GetValue<string>());
        return body;
    }
}
