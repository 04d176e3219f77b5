using System.Text.Json;
using AgentFleet.ZaiProxy.Auth;
using AgentFleet.ZaiProxy.Upstream;

namespace AgentFleet.ZaiProxy.Apis;

/// <summary>The Anthropic Messages API, passed through: a client sets its base URL to this service (or the gateway's <c>/llm</c>).</summary>
public static class MessagesApi
{
    /// <summary>Requests larger than this are refused before they take a worker (Anthropic's own limit is 32 MB).</summary>
    public const int MaxBodyBytes = 32 * 1024 * 1024;

    public static IEndpointRouteBuilder MapMessagesApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/v1/messages", (HttpContext context, CallerAuthentication auth, MessagesForwarder forwarder) =>
            HandleAsync(context, auth, forwarder, "/v1/messages"));
        endpoints.MapPost("/v1/messages/count_tokens", (HttpContext context, CallerAuthentication auth, MessagesForwarder forwarder) =>
            HandleAsync(context, auth, forwarder, "/v1/messages/count_tokens"));
        return endpoints;
    }

    private static async Task HandleAsync(HttpContext context, CallerAuthentication auth, MessagesForwarder forwarder, string path)
    {
        if (auth.Authenticate(context.Request) is not { } caller)
        {
            await AnthropicErrors.WriteAsync(context, 401, "unauthorized", "A valid key is required in x-api-key or Authorization: Bearer.");
            return;
        }
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            await AnthropicErrors.WriteAsync(context, 413, "payload_too_large", $"The request body is larger than {MaxBodyBytes / (1024 * 1024)} MB.");
            return;
        }
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        if (buffer.Length > MaxBodyBytes)
        {
            await AnthropicErrors.WriteAsync(context, 413, "payload_too_large", $"The request body is larger than {MaxBodyBytes / (1024 * 1024)} MB.");
            return;
        }
        var body = buffer.ToArray();
        bool stream;
        try
        {
            stream = MessagesForwarder.WantsStream(body);
        }
        catch (JsonException)
        {
            await AnthropicErrors.WriteAsync(context, 400, "validation_failed", "The request body must be a JSON object.");
            return;
        }
        await forwarder.ForwardAsync(context, caller, path, body, stream && path == "/v1/messages");
    }
}
