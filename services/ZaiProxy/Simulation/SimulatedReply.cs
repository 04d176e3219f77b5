using System.Text.Json.Nodes;

namespace AgentFleet.ZaiProxy.Simulation;

/// <summary>A tool call the simulated model makes: <c>#sim tool &lt;name&gt; &lt;json input&gt;</c>.</summary>
public sealed record SimulatedToolCall(string Id, string Name, string InputJson);

/// <summary>What the simulated model answers to one request, decided before a byte is sent.</summary>
public sealed record SimulatedReply
{
    public required string MessageId { get; init; }

    public required string Model { get; init; }

    public required bool Stream { get; init; }

    public int InputTokens { get; init; }

    /// <summary>An HTTP error instead of a reply (<c>#sim error</c>, <c>#sim fail</c>), with Anthropic's error body.</summary>
    public int? ErrorStatus { get; init; }

    public IReadOnlyList<string> Deltas { get; init; } = [];

    public SimulatedToolCall? Tool { get; init; }

    public string StopReason { get; init; } = "end_turn";

    /// <summary>Waited before each text delta (<c>#sim delay</c>).</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>The connection drops after this many text deltas (<c>#sim cut</c>).</summary>
    public int? CutAfter { get; init; }

    public int OutputTokens => Deltas.Count + (Tool is null ? 0 : 1 + Tool.InputJson.Length / 4);

    public JsonObject Usage(int outputTokens) => new()
    {
        ["input_tokens"] = InputTokens,
        ["cache_creation_input_tokens"] = 0,
        ["cache_read_input_tokens"] = 0,
        ["output_tokens"] = outputTokens,
    };
}

/// <summary>A request the simulated model refuses as the real API would: 400 <c>invalid_request_error</c>.</summary>
public sealed class SimulatedRequestException(string message) : Exception(message);
