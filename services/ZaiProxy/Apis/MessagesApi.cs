using AgentFleet.ZaiProxy.Accounting;
using System.Text.Json;
using AgentFleet.ZaiProxy.Auth;
using AgentFleet.ZaiProxy.Telemetry;
using AgentFleet.ZaiProxy.Upstream;

namespace AgentFleet.ZaiProxy.Apis;

/// <summary>The Anthropic Messages API, passed through: a client sets its base URL to this service (or the gateway's <c>/llm</c>).</summary>
public static class MessagesApi
{
    /// <summary>Requests larger than this are refused before they take a worker (Anthropic's own limit is 32 MB).</summary>
    public const int MaxBodyBytes = 32 * 1024 * 1024;

    public static IEndpointRouteBuilder MapMessagesApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/v1/messages", (HttpContext context, CallerAuthentication auth, BudgetGuard budgets, MessagesForwarder forwarder) =>
            HandleAsync(context, auth, budgets, forwarder, "/v1/messages"));
        endpoints.MapPost("/v1/messages/count_tokens", (HttpContext context, CallerAuthentication auth, BudgetGuard budgets, MessagesForwarder forwarder) =>
            HandleAsync(context, auth, budgets, forwarder, "/v1/messages/count_tokens"));
        return endpoints;
    }

    private static async Task HandleAsync(HttpContext context, CallerAuthentication auth, BudgetGuard budgets, MessagesForwarder forwarder, string path)
    {
        if (auth.Authenticate(context.Request) is not { } caller)
        {
            await AnthropicErrors.WriteAsync(context, 401, "unauthorized", "A valid key is required in x-api-key or Authorization: Bearer.");
            return;
        }
        if (await budgets.RefuseIfSpentAsync(context, caller))
        {
            return;
        }
        var body = context.Request.ContentLength > MaxBodyBytes ? null : await ReadBoundedAsync(context.Request);
        if (body is null)
        {
            await AnthropicErrors.WriteAsync(context, 413, "payload_too_large", $"The request body is larger than {MaxBodyBytes / (1024 * 1024)} MB.");
            return;
        }
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
        using var sessionSpan = SessionTrace.StartModelCall(caller, path);
        await forwarder.ForwardAsync(context, caller, path, body, stream && path == "/v1/messages");
    }

    /// <summary>The whole body, or null as soon as it passes the limit (a body without a length is not read on past it).</summary>
    private static async Task<byte[]?> ReadBoundedAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
