using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.Console.Auth;
using Microsoft.AspNetCore.Components.Authorization;

namespace AgentFleet.Console.Fleet;

/// <summary>
/// The fleet's public API through the gateway, with the signed-in person's own key on every call: the console can do
/// exactly what that key can, and nothing more. Refusals are <see cref="FleetApiException"/>s a page shows as they read.
/// </summary>
public sealed class FleetApi(IHttpClientFactory clients, AuthenticationStateProvider authentication)
{
    // Set for a plain HTTP request (an image), whose caller comes from the request's cookie rather than a circuit.
    private ConsoleUser? _caller;

    /// <summary>The API as <paramref name="caller"/>, outside a Blazor circuit.</summary>
    public FleetApi As(ConsoleUser caller) => new(clients, authentication) { _caller = caller };

    /// <summary>Calls that answer at once: the standard resilience (retries of reads, timeouts).</summary>
    public const string ClientName = "fleet";

    /// <summary>Streams (SSE, followed logs): no total timeout, no retries.</summary>
    public const string StreamClientName = "fleet-stream";

    public async Task<ConsoleUser> UserAsync()
    {
        if (_caller is not null)
        {
            return _caller;
        }
        var state = await authentication.GetAuthenticationStateAsync();
        return ConsoleUser.From(state.User) ?? throw new FleetApiException(401, "unauthorized", "Signed out: sign in again.", []);
    }

    public Task<JsonObject> GetAsync(string path, CancellationToken cancellationToken = default) => SendAsync(HttpMethod.Get, path, null, cancellationToken);

    public Task<JsonObject> PostAsync(string path, object? body = null, CancellationToken cancellationToken = default) => SendAsync(HttpMethod.Post, path, body, cancellationToken);

    public Task<JsonObject> PutAsync(string path, object body, CancellationToken cancellationToken = default) => SendAsync(HttpMethod.Put, path, body, cancellationToken);

    public Task<JsonObject> DeleteAsync(string path, CancellationToken cancellationToken = default) => SendAsync(HttpMethod.Delete, path, null, cancellationToken);

    /// <summary>A plain-text answer (a session's raw log).</summary>
    public async Task<string> GetTextAsync(string path, CancellationToken cancellationToken = default)
    {
        using var response = await OpenAsync(path, null, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <summary>A response to read as it arrives (SSE, a log, an image); the caller disposes it.</summary>
    public async Task<HttpResponseMessage> OpenAsync(string path, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken)
    {
        var request = await RequestAsync(HttpMethod.Get, path, null);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        var response = await Send(clients.CreateClient(StreamClientName), request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw await FleetApiException.ReadAsync(response, cancellationToken);
            }
        }
        return response;
    }

    private async Task<JsonObject> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = await RequestAsync(method, path, body);
        using var response = await Send(clients.CreateClient(ClientName), request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw await FleetApiException.ReadAsync(response, cancellationToken);
        }
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return text.Length == 0 ? [] : JsonNode.Parse(text) as JsonObject ?? new JsonObject { ["value"] = JsonNode.Parse(text) };
    }

    private async Task<HttpRequestMessage> RequestAsync(HttpMethod method, string path, object? body)
    {
        var user = await UserAsync();
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Key);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        return request;
    }

    private static async Task<HttpResponseMessage> Send(HttpClient client, HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            return await client.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new FleetApiException(503, "service_unavailable", $"The fleet cannot be reached ({e.Message}). Try again shortly.", []);
        }
        catch (TimeoutException)
        {
            throw new FleetApiException(504, "timeout", "The fleet did not answer in time. Try again shortly.", []);
        }
    }
}
