using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentFleet.ManagementApi.Mcp.AgentControl;

/// <summary>The JSON-RPC 2.0 answers the agent-control port writes itself, before a message reaches the MCP server.</summary>
public static class JsonRpcLines
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;

    /// <summary>Not authenticated (yet): the first request must be <c>authenticate</c> with a valid key.</summary>
    public const int Unauthenticated = -32001;

    public static byte[] Error(JsonNode? id, int code, string message) => Line(new JsonObject
    {
        ["jsonrpc"] = "2.0",
        ["id"] = id?.DeepClone(),
        ["error"] = new JsonObject { ["code"] = code, ["message"] = message },
    });

    public static byte[] Result(JsonNode? id, JsonObject result) => Line(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id?.DeepClone(), ["result"] = result });

    private static byte[] Line(JsonObject message) => JsonSerializer.SerializeToUtf8Bytes(message);
}
