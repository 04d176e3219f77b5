using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentFleet.ZaiProxy.Simulation;

/// <summary>
/// A deterministic Anthropic-compatible model, so the demo, the tests and load tests run offline through the same
/// pool, queue and accounting as real calls. By default it quotes the turn's text back in a few deltas. Lines of the
/// last user turn steer it (README, "Simulated upstream"):
/// <c>#sim tool &lt;name&gt; &lt;json&gt;</c>, <c>#sim tokens &lt;n&gt;</c>, <c>#sim delay &lt;ms&gt;</c>,
/// <c>#sim error &lt;status&gt;</c>, and for resilience tests <c>#sim fail &lt;status&gt; &lt;times&gt;</c> (that status the
/// first times this same request arrives, then a reply) and <c>#sim cut &lt;n&gt;</c> (the connection drops after n deltas).
/// </summary>
public sealed class SimulatedModel
{
    // How often each `#sim fail` request has been seen, by a hash of its body: retries send the same body.
    private readonly ConcurrentDictionary<string, int> _attempts = new();

    /// <summary>
    /// The reply to <paramref name="body"/>. Input the real API would refuse (a body that is not a JSON object, a
    /// <c>model</c> that is not a string, a <c>max_tokens</c> that is not a positive 32-bit integer, text that is not
    /// valid Unicode) and a malformed <c>#sim</c> line throw <see cref="SimulatedRequestException"/>: a 400.
    /// </summary>
    public SimulatedReply Plan(ReadOnlySpan<byte> body)
    {
        try
        {
            return PlanValid(body);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new SimulatedRequestException($"The request body is not valid: {e.Message}");
        }
    }

    private SimulatedReply PlanValid(ReadOnlySpan<byte> body)
    {
        var request = JsonNode.Parse(body) as JsonObject ?? throw new SimulatedRequestException("The body must be a JSON object.");
        var model = request["model"] switch
        {
            null => "claude-sim",
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            _ => throw new SimulatedRequestException("model: must be a string."),
        };
        var maxTokens = request["max_tokens"] switch
        {
            null => 4096,
            JsonValue value when value.TryGetValue<int>(out var n) && n > 0 => n,
            _ => throw new SimulatedRequestException("max_tokens: must be a positive integer no larger than 2147483647."),
        };
        // Reading every text now surfaces invalid Unicode (a lone surrogate) as a 400, not deep inside a reply.
        var inputTokens = Math.Max(1, CountTokens(request));
        var turn = TurnOf(request["messages"] as JsonArray);
        var reply = new SimulatedReply
        {
            MessageId = $"msg_sim_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}",
            Model = model,
            Stream = request["stream"]?.GetValueKind() == JsonValueKind.True,
            InputTokens = inputTokens,
        };
        var directives = Directives(turn.Text);

        if (directives.TryGetValue("error", out var error))
        {
            return reply with { ErrorStatus = Status(error, "#sim error <status>") };
        }
        if (directives.TryGetValue("fail", out var fail))
        {
            if (fail.Split(' ') is not [var failStatus, var times] || !int.TryParse(times, out var failTimes) || failTimes < 0)
            {
                throw Malformed("#sim fail <status> <times>", fail);
            }
            var failCode = Status(failStatus, "#sim fail <status> <times>");
            if (_attempts.AddOrUpdate(Hash(body), 1, (_, seen) => seen + 1) <= failTimes)
            {
                return reply with { ErrorStatus = failCode };
            }
        }
        reply = reply with
        {
            Delay = directives.TryGetValue("delay", out var delay) ? TimeSpan.FromMilliseconds(Number(delay, "#sim delay <ms>", 0, 60_000)) : TimeSpan.Zero,
            CutAfter = directives.TryGetValue("cut", out var cut) ? Number(cut, "#sim cut <n>", 0, int.MaxValue) : null,
        };

        if (turn.ToolResult is { } result)
        {
            return Limit(reply with { Deltas = Words($"Done. The tool said: {Quote(result)}") }, maxTokens);
        }
        if (directives.TryGetValue("tool", out var tool))
        {
            if (tool.Split(' ', 2) is not [var name, var input] || JsonNode.Parse(input) is not JsonObject toolInput)
            {
                throw Malformed("#sim tool <name> <json object>", tool);
            }
            return reply with { Deltas = Words($"Calling {name}."), Tool = new SimulatedToolCall($"toolu_sim_{Hash(body)[..16]}", name, toolInput.ToJsonString()), StopReason = "tool_use" };
        }
        if (directives.TryGetValue("tokens", out var tokens))
        {
            // Never more deltas than max_tokens lets out, however many were asked for.
            var count = Math.Min(Number(tokens, "#sim tokens <n>", 0, int.MaxValue), maxTokens + 1);
            return Limit(reply with { Deltas = [.. Enumerable.Range(1, count).Select(i => $"t{i} ")] }, maxTokens);
        }
        return Limit(reply with { Deltas = Words($"You said: {Quote(turn.Text)}") }, maxTokens);
    }

    private static int Status(string text, string form) =>
        int.TryParse(text, out var status) && status is >= 400 and <= 599 ? status : throw Malformed(form + " (a status from 400 to 599)", text);

    private static int Number(string text, string form, int min, int max) =>
        int.TryParse(text, out var n) && n >= min && n <= max ? n : throw Malformed($"{form} ({min} to {max})", text);

    private static SimulatedRequestException Malformed(string form, string given) =>
        new($"Malformed directive: expected {form}, got '{AgentFleet.ServiceDefaults.Problems.Bounded.Echo(given)}'.");

    /// <summary>count_tokens: the same estimate the replies report as their input.</summary>
    public static int CountTokens(ReadOnlySpan<byte> body)
    {
        try
        {
            return Math.Max(1, CountTokens(JsonNode.Parse(body) as JsonObject ?? throw new SimulatedRequestException("The body must be a JSON object.")));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new SimulatedRequestException($"The request body is not valid: {e.Message}");
        }
    }

    // About four characters a token, over every text the request carries.
    private static int CountTokens(JsonObject request)
    {
        var characters = 0;
        void Walk(JsonNode? node)
        {
            switch (node)
            {
                case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                    characters += value.GetValue<string>().Length;
                    break;
                case JsonObject obj:
                    foreach (var (_, child) in obj) Walk(child);
                    break;
                case JsonArray array:
                    foreach (var child in array) Walk(child);
                    break;
            }
        }
        Walk(request["system"]);
        Walk(request["messages"]);
        Walk(request["tools"]);
        return (characters + 3) / 4;
    }

    private static SimulatedReply Limit(SimulatedReply reply, int maxTokens) =>
        reply.Deltas.Count > maxTokens ? reply with { Deltas = [.. reply.Deltas.Take(maxTokens)], StopReason = "max_tokens" } : reply;

    private sealed record Turn(string Text, string? ToolResult);

    // The turn is every message after the last assistant one: clients add context messages of their own around
    // the user's text (Claude Code sends reminders as separate blocks and messages).
    private static Turn TurnOf(JsonArray? messages)
    {
        var text = new StringBuilder();
        string? toolResult = null;
        var start = 0;
        for (var i = 0; i < (messages?.Count ?? 0); i++)
        {
            if (messages![i]?["role"]?.GetValue<string>() == "assistant")
            {
                start = i + 1;
            }
        }
        for (var i = start; i < (messages?.Count ?? 0); i++)
        {
            switch (messages![i]?["content"])
            {
                case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                    text.AppendLine(value.GetValue<string>());
                    break;
                case JsonArray blocks:
                    foreach (var block in blocks)
                    {
                        var type = block?["type"]?.GetValue<string>();
                        if (type == "text")
                        {
                            text.AppendLine(block!["text"]?.GetValue<string>());
                        }
                        else if (type == "tool_result")
                        {
                            toolResult = block!["content"] switch
                            {
                                JsonValue s when s.GetValueKind() == JsonValueKind.String => s.GetValue<string>(),
                                JsonArray parts => string.Join(" ", parts.Select(p => p?["text"]?.GetValue<string>()).Where(t => t is not null)),
                                _ => "",
                            };
                        }
                    }
                    break;
            }
        }
        return new Turn(text.ToString(), toolResult);
    }

    private static Dictionary<string, string> Directives(string text)
    {
        var directives = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("#sim ", StringComparison.Ordinal) && line[5..].Trim().Split(' ', 2) is [var name, .. var rest])
            {
                directives[name] = rest.Length > 0 ? rest[0].Trim() : "";
            }
        }
        return directives;
    }

    private static string Quote(string text)
    {
        var plain = string.Join(' ', text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("#sim ", StringComparison.Ordinal)));
        return plain.Length > 200 ? plain[..200] + "…" : plain;
    }

    private static List<string> Words(string text) =>
        [.. text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select((word, i) => i == 0 ? word : " " + word)];

    private static string Hash(ReadOnlySpan<byte> body) => Convert.ToHexStringLower(SHA256.HashData(body));
}
