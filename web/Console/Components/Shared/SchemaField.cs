using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AgentFleet.Console.Components.Shared;

/// <summary>
/// One variable of a template, as its JSON Schema describes it: the input it gets, and the checks made before the
/// request goes (the fleet checks the whole schema again and its answer shows next to the same field).
/// </summary>
public sealed class SchemaField(string name, JsonObject schema, bool required)
{
    public string Name { get; } = name;

    public bool Required { get; } = required;

    public string Type { get; } = Format.Text(schema, "type") is { Length: > 0 } type ? type : "string";

    public string Description { get; } = Format.Text(schema, "description");

    public IReadOnlyList<string> Choices { get; } = (schema["enum"] as JsonArray)?.Select(v => v?.ToString() ?? "").ToList() ?? [];

    public string? Pattern { get; } = Format.Text(schema, "pattern") is { Length: > 0 } pattern ? pattern : null;

    public string Value { get; set; } = schema["default"]?.ToString() ?? "";

    public string? Error { get; set; }

    public static List<SchemaField> From(JsonNode? schema)
    {
        var required = (schema?["required"] as JsonArray)?.Select(r => r?.ToString()).ToHashSet() ?? [];
        return (schema?["properties"] as JsonObject)?.Select(p => new SchemaField(p.Key, p.Value as JsonObject ?? [], required.Contains(p.Key))).ToList() ?? [];
    }

    /// <summary>The value as JSON, or null with <see cref="Error"/> set.</summary>
    public JsonNode? Read(out bool valid)
    {
        Error = null;
        valid = true;
        if (Value.Length == 0 && Type != "boolean")
        {
            if (Required)
            {
                Error = "is required.";
                valid = false;
            }
            return null;
        }
        switch (Type)
        {
            case "integer" when long.TryParse(Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer):
                return integer;
            case "number" when double.TryParse(Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number):
                return number;
            case "boolean":
                return Value == "true";
            case "integer" or "number":
                Error = $"must be {(Type == "integer" ? "a whole number" : "a number")}.";
                valid = false;
                return null;
        }
        if (Choices.Count > 0 && !Choices.Contains(Value))
        {
            Error = $"must be one of {string.Join(", ", Choices)}.";
            valid = false;
        }
        else if (Pattern is not null && !Regex.IsMatch(Value, Pattern, RegexOptions.None, TimeSpan.FromSeconds(1)))
        {
            Error = $"must match {Pattern}.";
            valid = false;
        }
        return Value;
    }
}
