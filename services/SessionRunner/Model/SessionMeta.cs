using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentFleet.SessionRunner.Model;

/// <summary>
/// What <c>.session-meta.json</c> holds: enough to list, recover and resume a session from its directory
/// alone, without the database.
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
    public required string Status { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public int? Pid { get; init; }
    public int? ExitCode { get; init; }
    public string? AgentSessionId { get; init; }
    public double TotalCostUsd { get; init; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Written to a temporary file and renamed over the old one, so a crash never leaves half a file.</summary>
    public void Save(string sessionDirectory)
    {
        var path = Path.Combine(sessionDirectory, FileName);
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(this, Json));
        File.Move(temporary, path, overwrite: true);
    }

    public static SessionMeta? Load(string sessionDirectory)
    {
        var path = Path.Combine(sessionDirectory, FileName);
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
