using AgentFleet.ServiceDefaults.Problems;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentFleet.ZaiProxy.Upstream;

/// <summary>
/// Errors in the shape Anthropic clients parse, <c>{"type":"error","error":{"type","message"}}</c>. The proxy's own
/// errors also carry ProblemDetails' <c>title</c>, <c>status</c>, <c>detail</c> and a stable <c>code</c>, so one body
/// serves an SDK and a plain HTTP client alike.
/// </summary>
public static class AnthropicErrors
{
    public static string TypeFor(int status) => status switch
    {
        400 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 or 529 => "overloaded_error",
        504 => "timeout_error",
        _ => "api_error",
    };

    public static JsonObject Body(int status, string message) => new()
    {
        ["type"] = "error",
        ["error"] = new JsonObject { ["type"] = TypeFor(status), ["message"] = message },
    };

    public static async Task WriteAsync(HttpContext context, int status, string code, string message, TimeSpan? retryAfter = null)
    {
        var body = Body(status, message);
        body["title"] = TitleFor(status);
        body["status"] = status;
        body["detail"] = message;
        body["code"] = code;
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        SetRetryAfter(context.Response, retryAfter);
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    /// <summary>Whole seconds, at least one, as <c>Retry-After</c> requires; nothing when there is no wait to suggest.</summary>
    public static void SetRetryAfter(HttpResponse response, TimeSpan? retryAfter)
    {
        if (retryAfter is { } wait)
        {
            response.Headers.RetryAfter = ProblemDetailsExtensions.RetryAfterSeconds(wait).ToString();
        }
    }

    /// <summary>An <c>error</c> event inside a stream that has started: the status line is long gone.</summary>
    public static byte[] StreamEvent(int status, string message) =>
        Encoding.UTF8.GetBytes($"event: error\ndata: {Body(status, message).ToJsonString()}\n\n");

    private static string TitleFor(int status) => status switch
    {
        400 => "Invalid request",
        401 => "Authentication required",
        429 => "Too many requests",
        502 => "Upstream unreachable",
        503 => "Upstream unavailable",
        504 => "Upstream timed out",
        _ => "Upstream error",
    };
}
