using System.Text.Json;
using System.Text.Json.Serialization;
using AgentFleet.SessionRunner.Sandbox;

namespace AgentFleet.SessionRunner.Model;

/// <summary>
/// What <c>.session-meta.json</c> holds: enough to list, recover and resume a session from its state directory
/// alone, without the database. It lives beside the raw log in <c>state/&lt;id&gt;/</c>, out of the agent's reach:
/// an agent that could edit it could raise its own budget, and one that could plant a symlink there could make
/// the runner write through it.
/// </summary>
public sealed record SessionMeta
{
    public const string FileName = ".session-meta.json";

    public required string SessionId { get; init; }
    public required string Agent { get; init; }
    public required string Task { get; init; }
    public IReadOnlyList<string> Command { get; init; } = [];
    public string? Provider { get; init; }
    public string? Model { get; init; }
    public int TimeoutSeconds { get; init; }
    /// <summary>The most the session may spend on the model; ZaiProxy refuses further calls past it.</summary>
    public decimal? BudgetUsd { get; init; }
    /// <summary>The API key that started the session, which pays for its model calls, and that key's budget then.</summary>
    public string? CreatedByKey { get; init; }
    public decimal? KeyBudgetUsd { get; init; }
    public string? KeyBudgetPeriod { get; init; }
    /// <summary>The highest risk of tool use decided without a person (<c>RiskLevels</c>); null: the default, low.</summary>
    public string? ApprovalPolicy { get; init; }
    /// <summary>The session whose agent started this one, and how deep in such a tree it is (1: started by a person).</summary>
    public string? ParentSessionId { get; init; }
    public int Depth { get; init; } = 1;
    /// <summary>The session whose budget this one draws on (its tree's root, when that has one); null: its own.</summary>
    public Guid? BudgetSessionId { get; init; }
    /// <summary>The request's own MCP servers (claude's <c>mcpServers</c> object), as checked at the start.</summary>
    public string? McpServersJson { get; init; }
    public required string Status { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public int? Pid { get; init; }
    public int? ExitCode { get; init; }
    public string? AgentSessionId { get; init; }
    public double TotalCostUsd { get; init; }
    /// <summary>The uid the agent runs as inside its sandbox; null when it runs unconfined.</summary>
    public int? Uid { get; init; }
    /// <summary>The limits the session was started with.</summary>
    public SandboxLimits? Limits { get; init; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Written to a temporary file and renamed over the old one, so a crash never leaves half a file.</summary>
    public void Save(string stateDirectory)
    {
        var path = Path.Combine(stateDirectory, FileName);
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(this, Json));
        File.Move(temporary, path, overwrite: true);
    }

    public static SessionMeta? Load(string stateDirectory)
    {
        var path = Path.Combine(stateDirectory, FileName);
        try
        {
            return JsonSerializer.Deserialize<SessionMeta>(File.ReadAllBytes(path), Json);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }
}
