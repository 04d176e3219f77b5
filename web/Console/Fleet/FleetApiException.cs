using System.Text.Json.Nodes;

namespace AgentFleet.Console.Fleet;

/// <summary>The fleet said no: its ProblemDetails, readable as a sentence, with field errors by JSON path.</summary>
public sealed class FleetApiException(int status, string? code, string message, IReadOnlyList<(string Path, string Message)> errors) : Exception(message)
{
    public int Status { get; } = status;

    public string? Code { get; } = code;

    /// <summary>Each violation's JSON path (<c>$.variables.file</c>) and what is wrong with it.</summary>
    public IReadOnlyList<(string Path, string Message)> Errors { get; } = errors;

    public static async Task<FleetApiException> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        JsonObject? problem = null;
        try
        {
            problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken)) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
        }
        var title = Text(problem, "title") ?? $"The fleet answered {status}.";
        var message = string.Join(' ', new[] { title, Text(problem, "detail"), Text(problem, "suggestion") }.Where(p => !string.IsNullOrWhiteSpace(p)));
        var errors = (problem?["errors"] as JsonArray)?.OfType<JsonObject>().Select(e => (Text(e, "path") ?? "", Text(e, "message") ?? "")).ToList() ?? [];
        return new FleetApiException(status, Text(problem, "code"), message, errors);
    }

    private static string? Text(JsonObject? json, string name) => json?[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
