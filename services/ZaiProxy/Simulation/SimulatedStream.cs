using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using AgentFleet.ZaiProxy.Upstream;

namespace AgentFleet.ZaiProxy.Simulation;

/// <summary>The simulated model stopped mid-reply, as a dropped connection does (<c>#sim cut</c>).</summary>
public sealed class SimulatedCutException() : IOException("The simulated upstream cut the connection.");

/// <summary>A <see cref="SimulatedReply"/> in the wire forms the Messages API uses: one JSON message, or its SSE events.</summary>
public static class SimulatedStream
{
    public static byte[] ErrorBody(int status, string? message = null) =>
        Encoding.UTF8.GetBytes(AnthropicErrors.Body(status, message ?? $"Simulated upstream error {status}.").ToJsonString());

    /// <summary>The whole reply, after as long as its deltas would have taken to stream.</summary>
    public static async Task<byte[]> MessageAsync(SimulatedReply reply, CancellationToken cancellationToken)
    {
        if (reply.Delay > TimeSpan.Zero && reply.Deltas.Count > 0)
        {
            await Task.Delay(reply.Delay * reply.Deltas.Count, cancellationToken);
        }
        return Message(reply);
    }

    public static byte[] Message(SimulatedReply reply)
    {
        var content = new JsonArray();
        if (reply.Deltas.Count > 0)
        {
            content.Add(new JsonObject { ["type"] = "text", ["text"] = string.Concat(reply.Deltas) });
        }
        if (reply.Tool is { } tool)
        {
            content.Add(new JsonObject { ["type"] = "tool_use", ["id"] = tool.Id, ["name"] = tool.Name, ["input"] = JsonNode.Parse(tool.InputJson) });
        }
        var message = Start(reply, content, reply.OutputTokens);
        message["stop_reason"] = reply.StopReason;
        return Encoding.UTF8.GetBytes(message.ToJsonString());
    }

    /// <summary>
    /// The events of a streamed reply, in the order the API sends them: message_start, a text block of deltas,
    /// a tool_use block if any, message_delta with the stop reason and usage, message_stop.
    /// </summary>
    public static async IAsyncEnumerable<byte[]> EventsAsync(SimulatedReply reply, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return Frame("message_start", new JsonObject { ["type"] = "message_start", ["message"] = Start(reply, [], 1) });
        yield return Frame("ping", new JsonObject { ["type"] = "ping" });
        var index = 0;
        if (reply.Deltas.Count > 0)
        {
            yield return Frame("content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = index, ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" } });
            for (var i = 0; i < reply.Deltas.Count; i++)
            {
                if (i == reply.CutAfter)
                {
                    throw new SimulatedCutException();
                }
                if (reply.Delay > TimeSpan.Zero)
                {
                    await Task.Delay(reply.Delay, cancellationToken);
                }
                yield return Frame("content_block_delta", new JsonObject
                {
                    ["type"] = "content_block_delta",
                    ["index"] = index,
                    ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = reply.Deltas[i] },
                });
            }
            yield return Frame("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = index++ });
        }
        if (reply.Tool is { } tool)
        {
            yield return Frame("content_block_start", new JsonObject
            {
                ["type"] = "content_block_start",
                ["index"] = index,
                ["content_block"] = new JsonObject { ["type"] = "tool_use", ["id"] = tool.Id, ["name"] = tool.Name, ["input"] = new JsonObject() },
            });
            yield return Frame("content_block_delta", new JsonObject
            {
                ["type"] = "content_block_delta",
                ["index"] = index,
                ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = tool.InputJson },
            });
            yield return Frame("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = index });
        }
        yield return Frame("message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = reply.StopReason, ["stop_sequence"] = null },
            ["usage"] = new JsonObject { ["output_tokens"] = reply.OutputTokens },
        });
        yield return Frame("message_stop", new JsonObject { ["type"] = "message_stop" });
    }

    private static JsonObject Start(SimulatedReply reply, JsonArray content, int outputTokens) => new()
    {
        ["id"] = reply.MessageId,
        ["type"] = "message",
        ["role"] = "assistant",
        ["model"] = reply.Model,
        ["content"] = content,
        ["stop_reason"] = null,
        ["stop_sequence"] = null,
        ["usage"] = reply.Usage(outputTokens),
    };

    private static byte[] Frame(string name, JsonObject data) => Encoding.UTF8.GetBytes($"event: {name}\ndata: {data.ToJsonString()}\n\n");
}
