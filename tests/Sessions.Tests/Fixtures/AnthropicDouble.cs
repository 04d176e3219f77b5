using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentFleet.Sessions.Tests.Fixtures;

/// <summary>
/// A small Anthropic Messages API double (streaming SSE) that the real Claude Code CLI talks to, until ZaiProxy's
/// simulated upstream exists. What it answers depends on the last message:
/// a tool result → a short text answer; user text with <c>#write &lt;file&gt; &lt;content&gt;</c> → a Write tool call;
/// text with <c>#slow</c> → one token every 200 ms for a minute; anything else → a short greeting.
/// </summary>
public sealed class AnthropicDouble : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _messages;

    private AnthropicDouble(WebApplication app) => _app = app;

    public string BaseUrl => _app.Urls.First();

    /// <summary>The x-api-key of every request, to check what key the agent presented.</summary>
    public List<string> ApiKeys { get; } = [];

    public static async Task<AnthropicDouble> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var double_ = new AnthropicDouble(app);
        app.MapPost("/v1/messages", double_.MessagesAsync);
        app.MapPost("/v1/messages/count_tokens", () => Results.Json(new { input_tokens = 10 }));
        await app.StartAsync();
        return double_;
    }

    private async Task MessagesAsync(HttpContext context)
    {
        lock (ApiKeys)
        {
            ApiKeys.Add(context.Request.Headers["x-api-key"].ToString());
        }
        var request = (await JsonNode.ParseAsync(context.Request.Body))!;
        // The turn's input: every message after the last assistant one (the CLI adds user and system context messages).
        var blocks = new List<JsonNode>();
        foreach (var message in request["messages"]!.AsArray().Reverse().TakeWhile(m => m!["role"]!.GetValue<string>() != "assistant"))
        {
            blocks.AddRange(message!["content"] is JsonArray array
                ? array.Select(b => b!)
                : [new JsonObject { ["type"] = "text", ["text"] = message["content"]!.GetValue<string>() }]);
        }
        var hasToolResult = blocks.Any(b => b["type"]?.GetValue<string>() == "tool_result");
        var text = string.Join("\n", blocks.Where(b => b["type"]?.GetValue<string>() == "text").Select(b => b["text"]!.GetValue<string>()));

        context.Response.ContentType = "text/event-stream";
        var id = $"msg_{Interlocked.Increment(ref _messages)}";
        var model = request["model"]?.GetValue<string>() ?? "claude-test";
        await SendAsync(context, "message_start", new { type = "message_start", message = new { id, type = "message", role = "assistant", model, content = Array.Empty<object>(), stop_reason = (string?)null, usage = new { input_tokens = 12, output_tokens = 1 } } });
        var write = text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("#write ", StringComparison.Ordinal));
        if (!hasToolResult && write is not null)
        {
            var parts = write.Split(' ', 3);
            await TextBlockAsync(context, 0, ["I will write ", parts[1], "."]);
            await SendAsync(context, "content_block_start", new { type = "content_block_start", index = 1, content_block = new { type = "tool_use", id = "toolu_write_1", name = "Write", input = new { } } });
            var input = JsonSerializer.Serialize(new { file_path = parts[1], content = parts.Length > 2 ? parts[2] + "\n" : "\n" });
            await SendAsync(context, "content_block_delta", new { type = "content_block_delta", index = 1, delta = new { type = "input_json_delta", partial_json = input } });
            await SendAsync(context, "content_block_stop", new { type = "content_block_stop", index = 1 });
            await SendAsync(context, "message_delta", new { type = "message_delta", delta = new { stop_reason = "tool_use" }, usage = new { output_tokens = 20 } });
        }
        else if (!hasToolResult && text.Contains("#slow", StringComparison.Ordinal))
        {
            await TextBlockAsync(context, 0, [.. Enumerable.Range(1, 300).Select(i => $"tick {i} ")], TimeSpan.FromMilliseconds(200));
            await SendAsync(context, "message_delta", new { type = "message_delta", delta = new { stop_reason = "end_turn" }, usage = new { output_tokens = 300 } });
        }
        else
        {
            await TextBlockAsync(context, 0, hasToolResult ? ["Done: ", "the file is written."] : ["Hello", " from the model."]);
            await SendAsync(context, "message_delta", new { type = "message_delta", delta = new { stop_reason = "end_turn" }, usage = new { output_tokens = 7 } });
        }
        await SendAsync(context, "message_stop", new { type = "message_stop" });
    }

    private static async Task TextBlockAsync(HttpContext context, int index, string[] pieces, TimeSpan? pause = null)
    {
        await SendAsync(context, "content_block_start", new { type = "content_block_start", index, content_block = new { type = "text", text = "" } });
        foreach (var piece in pieces)
        {
            await SendAsync(context, "content_block_delta", new { type = "content_block_delta", index, delta = new { type = "text_delta", text = piece } });
            if (pause is { } delay)
            {
                await Task.Delay(delay, context.RequestAborted);
            }
        }
        await SendAsync(context, "content_block_stop", new { type = "content_block_stop", index });
    }

    private static async Task SendAsync(HttpContext context, string name, object data)
    {
        await context.Response.WriteAsync($"event: {name}\ndata: {JsonSerializer.Serialize(data)}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
