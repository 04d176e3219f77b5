using System.Net;
using System.Text.Json.Nodes;

namespace AgentFleet.AppHost.Tests;

/// <summary>The fleet's REST API through the gateway, as a user calls it with a key.</summary>
public sealed class FleetApi(Uri gateway)
{
    private static readonly HttpClient Client = new();

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string key, string? json = null) =>
        SendAsync(method, new Uri(gateway, path), key, json);

    public static Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, string key, string? json = null)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new("Bearer", key);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }
        return Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public async Task<JsonNode> JsonAsync(HttpMethod method, string path, string key, string? json = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await SendAsync(method, path, key, json);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>Creates a session and polls it until it has ended; returns its last state.</summary>
    public async Task<JsonNode> RunSessionAsync(string key, string json, TimeSpan timeout)
    {
        var created = await JsonAsync(HttpMethod.Post, "/v1/sessions", key, json, HttpStatusCode.Accepted);
        var id = created["sessionId"]!.GetValue<string>();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var session = await JsonAsync(HttpMethod.Get, $"/v1/sessions/{id}", key);
            if (session["status"]!.GetValue<string>() is "completed" or "failed" or "stopped" or "interrupted" || DateTime.UtcNow > deadline)
            {
                return session;
            }
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }
}
