using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AgentFleet.Testing;

namespace AgentFleet.ZaiProxy.Tests.Fixtures;

/// <summary>Plain HTTP calls to a proxy, as curl or any Anthropic client without an SDK makes them.</summary>
public static class ProxyClient
{
    public static HttpClient For(ServiceProcess proxy, string? key = null)
    {
        var http = new HttpClient { BaseAddress = new Uri(proxy.HttpUrl), Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            http.DefaultRequestHeaders.Add("x-api-key", key);
        }
        http.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return http;
    }

    /// <summary>A Messages request whose user turn is <paramref name="text"/> (directives included).</summary>
    public static JsonObject Message(string text, bool stream = false, int maxTokens = 1024) => new()
    {
        ["model"] = "claude-sonnet-4-5",
        ["max_tokens"] = maxTokens,
        ["stream"] = stream,
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }),
    };

    public static Task<HttpResponseMessage> PostAsync(HttpClient http, JsonObject body, CancellationToken cancellationToken, string path = "/v1/messages") =>
        http.SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") },
            HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    public static async Task<JsonObject> JsonAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!;

    /// <summary>The SSE events of a streamed reply, as (event name, data) in arrival order.</summary>
    public static async Task<List<(string Name, JsonObject Data)>> EventsAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var events = new List<(string, JsonObject)>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        string? name = null;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add((name ?? "message", JsonNode.Parse(line[6..])!.AsObject()));
            }
        }
        return events;
    }
}
