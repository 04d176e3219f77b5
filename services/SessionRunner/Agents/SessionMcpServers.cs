using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AgentFleet.SessionRunner.Approvals;
using AgentFleet.SessionRunner.Services;

namespace AgentFleet.SessionRunner.Agents;

/// <summary>
/// A start request's own MCP servers, in the claude CLI's <c>mcpServers</c> shape: <c>{"name": {"command": ..., "args": [...],
/// "env": {...}}}</c> for a program the CLI runs and talks to over stdio, or <c>{"name": {"type": "http", "url": ...,
/// "headers": {...}}}</c>. A program runs inside the agent's sandbox with its rights, so only an admin's allow-list
/// (<c>SessionRunner:Mcp:AllowedCommands</c>) says which; HTTP servers only on <c>SessionRunner:Mcp:AllowedHosts</c>.
/// </summary>
public static partial class SessionMcpServers
{
    public const int MaxServers = 16;

    /// <summary>The servers, normalized to what the CLI reads, or an <see cref="ArgumentException"/> that names what to fix.</summary>
    public static JsonObject Check(string json, McpOptions options)
    {
        JsonObject servers;
        try
        {
            servers = JsonNode.Parse(json) as JsonObject ?? throw new ArgumentException("mcpServers must be an object of named servers.");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"mcpServers is not valid JSON: {e.Message}");
        }
        if (servers.Count > MaxServers)
        {
            throw new ArgumentException($"mcpServers names {servers.Count} servers; the limit is {MaxServers}.");
        }
        var checkedServers = new JsonObject();
        foreach (var (name, value) in servers)
        {
            if (!ServerName().IsMatch(name) || name is AgentMcp.ServerName or AgentMcp.FleetServerName)
            {
                throw new ArgumentException($"mcpServers: '{name}' is not a usable name (letters, digits, - and _, up to 64; '{AgentMcp.ServerName}' and '{AgentMcp.FleetServerName}' are the fleet's).");
            }
            if (value is not JsonObject server)
            {
                throw new ArgumentException($"mcpServers.{name} must be an object.");
            }
            checkedServers[name] = Text(server["type"], $"mcpServers.{name}.type") switch
            {
                null or "stdio" => Stdio(name, server, options),
                "http" => Http(name, server, options),
                var other => throw new ArgumentException($"mcpServers.{name}.type is '{other}'; it must be stdio (a command) or http (a url)."),
            };
        }
        return checkedServers;
    }

    private static JsonObject Stdio(string name, JsonObject server, McpOptions options)
    {
        var command = Text(server["command"], $"mcpServers.{name}.command") ?? throw new ArgumentException($"mcpServers.{name} needs a command (or type http and a url).");
        if (!options.AllowedCommands.Contains(command, StringComparer.Ordinal))
        {
            var allowed = options.AllowedCommands.Count == 0 ? "none (the list is empty)" : string.Join(", ", options.AllowedCommands);
            throw new ArgumentException(
                $"mcpServers.{name}.command '{command}' is not allowed. SessionRunner:Mcp:AllowedCommands, which an admin sets, allows: {allowed}.");
        }
        var result = new JsonObject { ["type"] = "stdio", ["command"] = command, ["args"] = Strings(server["args"], $"mcpServers.{name}.args") };
        if (server["env"] is not null)
        {
            result["env"] = StringMap(server["env"], $"mcpServers.{name}.env");
        }
        return result;
    }

    private static JsonObject Http(string name, JsonObject server, McpOptions options)
    {
        var url = Text(server["url"], $"mcpServers.{name}.url") ?? throw new ArgumentException($"mcpServers.{name} of type http needs a url.");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"mcpServers.{name}.url must be an absolute http or https URL.");
        }
        if (!options.AllowedHosts.Contains(uri.Host, StringComparer.OrdinalIgnoreCase))
        {
            var allowed = options.AllowedHosts.Count == 0 ? "none (the list is empty)" : string.Join(", ", options.AllowedHosts);
            throw new ArgumentException($"mcpServers.{name}.url is on host '{uri.Host}', which is not allowed. SessionRunner:Mcp:AllowedHosts allows: {allowed}.");
        }
        var result = new JsonObject { ["type"] = "http", ["url"] = uri.AbsoluteUri };
        if (server["headers"] is not null)
        {
            result["headers"] = StringMap(server["headers"], $"mcpServers.{name}.headers");
        }
        return result;
    }

    private static string? Text(JsonNode? node, string field) => node switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String && value.GetValue<string>() is { Length: > 0 } text && !text.Contains('\0') => text,
        _ => throw new ArgumentException($"{field} must be a non-empty string without NUL characters."),
    };

    private static JsonArray Strings(JsonNode? node, string field)
    {
        if (node is null)
        {
            return [];
        }
        if (node is not JsonArray array)
        {
            throw new ArgumentException($"{field} must be an array of strings.");
        }
        return [.. array.Select((item, i) => (JsonNode?)JsonValue.Create(Text(item, $"{field}[{i}]")))];
    }

    private static JsonObject StringMap(JsonNode? node, string field)
    {
        if (node is not JsonObject map)
        {
            throw new ArgumentException($"{field} must be an object of strings.");
        }
        var result = new JsonObject();
        foreach (var (key, value) in map)
        {
            result[key] = Text(value, $"{field}.{key}");
        }
        return result;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ServerName();
}
