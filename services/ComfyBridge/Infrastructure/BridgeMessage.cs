using System.Text.Json.Nodes;
using AgentFleet.ComfyBridge.ComfyUi;
using AgentFleet.ComfyBridge.Model;

namespace AgentFleet.ComfyBridge.Infrastructure;

/// <summary>
/// What a bridge publishes on <c>comfy-bridge:events</c>: a persisted job event (with the job's owner, for the caller-wide
/// streams) or a preview frame, tagged with the bridge that sent it, as JSON.
/// </summary>
public sealed record BridgeMessage(string From, Guid JobId, JobEvent? Event, string? Owner, PreviewImage? Preview)
{
    public static string ForEvent(string from, JobEvent jobEvent, string? owner) => new JsonObject
    {
        ["from"] = from, ["owner"] = owner, ["id"] = jobEvent.WorkflowId, ["seq"] = jobEvent.Sequence, ["type"] = jobEvent.Type,
        ["data"] = jobEvent.Data.DeepClone(), ["at"] = jobEvent.CreatedAt,
    }.ToJsonString();

    public static string ForPreview(string from, Guid jobId, PreviewImage preview) => new JsonObject
    {
        ["from"] = from, ["id"] = jobId, ["preview"] = preview.ContentType, ["bytes"] = Convert.ToBase64String(preview.Bytes),
    }.ToJsonString();

    /// <summary>The message, or null when it is not one a bridge sends.</summary>
    public static BridgeMessage? Parse(string text)
    {
        JsonObject? message;
        try
        {
            message = JsonNode.Parse(text) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
        if (message?["from"]?.GetValue<string>() is not { } from || message["id"]?.GetValue<Guid>() is not { } id)
        {
            return null;
        }
        if (message["preview"]?.GetValue<string>() is { } contentType && message["bytes"]?.GetValue<string>() is { } bytes)
        {
            return new BridgeMessage(from, id, null, null, new PreviewImage(contentType, Convert.FromBase64String(bytes)));
        }
        if (message["seq"]?.GetValue<long>() is { } sequence && message["type"]?.GetValue<string>() is { } type && message["data"] is JsonObject data
            && message["at"]?.GetValue<DateTimeOffset>() is { } at)
        {
            return new BridgeMessage(from, id, new JobEvent(id, sequence, type, data.DeepClone().AsObject(), at), message["owner"]?.GetValue<string>(), null);
        }
        return null;
    }
}
