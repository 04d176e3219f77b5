using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentFleet.SessionRunner.Approvals;

/// <summary>
/// What the permission prompt tool answers Claude Code, as JSON text: <c>{"behavior":"allow","updatedInput":{...}}</c>
/// (the input to run: the one asked, or a person's edit) or <c>{"behavior":"deny","message":"..."}</c>.
/// </summary>
public sealed record PermissionAnswer(bool Allowed, JsonElement? UpdatedInput, string? Message)
{
    public static PermissionAnswer Allow(JsonElement input) => new(true, input, null);

    public static PermissionAnswer Deny(string message) => new(false, null, message);

    public string ToJson() => Allowed
        ? new JsonObject { ["behavior"] = "allow", ["updatedInput"] = JsonNode.Parse(UpdatedInput!.Value.GetRawText()) }.ToJsonString()
        : new JsonObject { ["behavior"] = "deny", ["message"] = Message }.ToJsonString();
}
