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

    public SimulatedReply Plan(ReadOnlySpan<byte> body)
    {
        var request = JsonNode.Parse(body)?.AsObject() ?? throw new JsonException("The body is not a JSON object.");
        var model = request["model"]?.GetValue<string>() ?? "claude-sim";
        var turn = TurnOf(request["messages"] as JsonArray);
        var reply = new SimulatedReply
        {
            MessageId = $"msg_sim_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}",
            Model = model,
            Stream = request["stream"]?.GetValueKind() == JsonValueKind.True,
            InputTokens = Math.Max(1, CountTokens(request)),
        };
        var maxTokens = request["max_tokens"]?.GetValue<int>() ?? 4096;
        var directives = Directives(turn.Text);

        if (directives.TryGetValue("error", out var error) && int.TryParse(error, out var status))
        {
            return reply with { ErrorStatus = status };
        }
        if (directives.TryGetValue("fail", out var fail) && fail.Split(' ') is [var failStatus, var times]
            && int.TryParse(failStatus, out var failCode) && int.TryParse(times, out var failTimes)
            && _attempts.AddOrUpdate(Hash(body), 1, (_, seen) => seen + 1) <= failTimes)
        {
            return reply with { ErrorStatus = failCode };
        }
        reply = reply with
        {
            Delay = directives.TryGetValue("delay", out var delay) && int.TryParse(delay, out var ms) ? TimeSpan.FromMilliseconds(ms) : TimeSpan.Zero,
            CutAfter = directives.TryGetValue("cut", out var cut) && int.TryParse(cut, out var after) ? after : null,
        };

        if (turn.ToolResult is { } result)
        {
            return Limit(reply with { Deltas = Words($"Done. The tool said: {Quote(result)}") }, maxTokens);
        }
        if (directives.TryGetValue("tool", out var tool) && tool.Split(' ', 2) is [var name, var input])
        {
            var json = JsonNode.Parse(input)?.ToJsonString() ?? "{}";
            return reply with { Deltas = Words($"Calling {name}."), Tool = new SimulatedToolCall($"toolu_sim_{Hash(body)[..16]}", name, json), StopReason = "tool_use" };
        }
        if (directives.TryGetValue("tokens", out var tokens) && int.TryParse(tokens, out var count))
        {
            return Limit(reply with { Deltas = [.. Enumerable.Range(1, Math.Max(0, count)).Select(i => $"t{i} ")] }, maxTokens);
        }
        return Limit(reply with { Deltas = Words($"You said: {Quote(turn.Text)}") }, maxTokens);
    }

    /// <summary>count_tokens: the same estimate the replies report as their input.</summary>
    public static int CountTokens(ReadOnlySpan<byte> body) =>
        Math.Max(1, CountTokens(JsonNode.Parse(body)?.AsObject() ?? throw new JsonException("The body is not a JSON object.")));

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
