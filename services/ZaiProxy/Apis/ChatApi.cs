using AgentFleet.ZaiProxy.Accounting;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ZaiProxy.Auth;
using AgentFleet.ZaiProxy.Options;
using AgentFleet.ZaiProxy.Upstream;
using Microsoft.Extensions.Options;

namespace AgentFleet.ZaiProxy.Apis;

/// <summary><c>POST /chat</c> of the original design: one prompt in, one answer out, with its tokens and cost.</summary>
public sealed record ChatRequest(string? Prompt, double? Timeout, string? Model, int? MaxTokens, string? System);

public sealed record ChatTokens(long Input, long Output);

public sealed record ChatResponse(string Response, ChatTokens Tokens, decimal Cost, string Model, string? StopReason);

public static class ChatApi
{
    public const int MaxPromptLength = 1_000_000;

    public static IEndpointRouteBuilder MapChatApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/chat", async (ChatRequest request, HttpContext context, CallerAuthentication auth, BudgetGuard budgets, MessagesForwarder forwarder,
            IOptions<UpstreamOptions> upstream, IOptions<PoolOptions> pool) =>
        {
            var caller = auth.Authenticate(context.Request)
                ?? throw new ProblemException(401, ProblemCodes.Unauthorized, "Authentication required", "A valid key is required in x-api-key or Authorization: Bearer.");
            if (await budgets.RefusalAsync(caller, context.RequestAborted) is { } refusal)
            {
                throw new ProblemException(StatusCodes.Status402PaymentRequired, ProblemCodes.BudgetExceeded, "Budget spent", refusal);
            }
            Validate(request);
            var model = request.Model ?? upstream.Value.DefaultModel;
            var body = new JsonObject
            {
                ["model"] = model,
                ["max_tokens"] = request.MaxTokens ?? 1024,
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = request.Prompt }),
            };
            if (request.System is { Length: > 0 } system)
            {
                body["system"] = system;
            }
            var timeout = TimeSpan.FromSeconds(request.Timeout ?? pool.Value.RequestTimeoutSeconds);
            CompletedCall call;
            try
            {
                call = await forwarder.CompleteAsync(caller, JsonSerializer.SerializeToUtf8Bytes(body), timeout, context.RequestAborted);
            }
            catch (ProxyFailure failure)
            {
                throw new ProblemException(failure.Status, failure.Code, "The model call did not complete", failure.Message, retryAfter: failure.RetryAfter);
            }
            var reply = JsonNode.Parse(call.Body);
            if (call.Status != 200)
            {
                throw new ProblemException(call.Status >= 500 ? 502 : call.Status, "upstream_error", "The upstream refused the call",
                    reply?["error"]?["message"]?.GetValue<string>() ?? $"Upstream status {call.Status}.");
            }
            var text = string.Concat((reply?["content"] as JsonArray ?? []).Where(b => b?["type"]?.GetValue<string>() == "text").Select(b => b!["text"]?.GetValue<string>()));
            return Results.Ok(new ChatResponse(text, new ChatTokens(call.Usage.InputTokens, call.Usage.OutputTokens), call.Cost,
                call.Usage.Model ?? model, reply?["stop_reason"]?.GetValue<string>()));
        });
        return endpoints;
    }

    private static void Validate(ChatRequest request)
    {
        string? problem = request switch
        {
            { Prompt: null or { Length: 0 } } => "prompt is required.",
            { Prompt.Length: > MaxPromptLength } => $"prompt is longer than {MaxPromptLength} characters.",
            { Timeout: <= 0 or > 600 } => "timeout must be between 0 and 600 seconds.",
            { MaxTokens: <= 0 or > 128_000 } => "maxTokens must be between 1 and 128000.",
            _ => null,
        };
        if (problem is not null)
        {
            throw new ProblemException(400, ProblemCodes.ValidationFailed, "Invalid chat request", problem);
        }
    }
}
