using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentFleet.ServiceDefaults.Problems;
using Json.Schema;

namespace AgentFleet.ManagementApi.Services;

/// <summary>
/// A template's prompt and the JSON Schema of its variables: the placeholders it uses (<c>{{name}}</c>), checking a
/// set of variables against the schema, and rendering. Every problem is reported at once, each with its JSON path.
/// </summary>
public static partial class TemplatePrompt
{
    /// <summary>The variable names the prompt uses, in order of first use.</summary>
    public static IReadOnlyList<string> Placeholders(string prompt) =>
        [.. Placeholder().Matches(prompt).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal)];

    /// <summary>Checks that the schema is a valid JSON Schema, of type object, whose properties name every placeholder.</summary>
    public static void CheckSchema(JsonElement schemaJson, string prompt, List<ProblemError> errors)
    {
        try
        {
            JsonSchema.Build(schemaJson);
        }
        catch (Exception e) when (e is JsonSchemaException or JsonException or ArgumentException or InvalidOperationException)
        {
            errors.Add(new("$.variablesSchema", $"is not a valid JSON Schema: {e.Message}"));
            return;
        }
        var declared = DeclaredVariables(schemaJson);
        if (schemaJson.ValueKind != JsonValueKind.Object || !schemaJson.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "object")
        {
            errors.Add(new("$.variablesSchema.type", "must be \"object\": variables are named values."));
        }
        foreach (var name in Placeholders(prompt).Where(p => !declared.Contains(p)))
        {
            errors.Add(new("$.prompt", $"uses {{{{{name}}}}}, which variablesSchema.properties does not declare."));
        }
    }

    /// <summary>
    /// The task a session from this template runs: the variables (with the schema's defaults for those not given)
    /// checked against the schema, every placeholder filled, no variable left unused.
    /// </summary>
    public static string Render(string prompt, JsonElement schemaJson, JsonElement? given, List<ProblemError> errors)
    {
        var variables = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (given is { } supplied)
        {
            if (supplied.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new("$.variables", "must be a JSON object of variable names and values."));
                return "";
            }
            foreach (var property in supplied.EnumerateObject())
            {
                variables[property.Name] = property.Value;
            }
        }
        if (schemaJson.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in properties.EnumerateObject())
            {
                if (!variables.ContainsKey(property.Name) && property.Value.ValueKind == JsonValueKind.Object && property.Value.TryGetProperty("default", out var fallback))
                {
                    variables[property.Name] = fallback;
                }
            }
        }
        var instance = JsonSerializer.SerializeToElement(variables);
        var results = JsonSchema.Build(schemaJson).Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!results.IsValid)
        {
            foreach (var detail in results.Details ?? [])
            {
                foreach (var (keyword, message) in detail.Errors ?? new Dictionary<string, string>())
                {
                    errors.Add(new(PathOf(detail.InstanceLocation.ToString()),
                        keyword.Length == 0 ? "is not a variable of this template." : $"{keyword}: {message}"));
                }
            }
        }
        var placeholders = Placeholders(prompt);
        foreach (var missing in placeholders.Where(p => !variables.ContainsKey(p)))
        {
            errors.Add(new($"$.variables.{missing}", $"is required: the prompt uses {{{{{missing}}}}}."));
        }
        foreach (var unused in variables.Keys.Where(v => !placeholders.Contains(v) && given?.TryGetProperty(v, out _) == true))
        {
            errors.Add(new($"$.variables.{unused}", "is not used by the template's prompt."));
        }
        if (errors.Count > 0)
        {
            return "";
        }
        return Placeholder().Replace(prompt, m => Text(variables[m.Groups[1].Value]));
    }

    private static HashSet<string> DeclaredVariables(JsonElement schemaJson) =>
        schemaJson.ValueKind == JsonValueKind.Object && schemaJson.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object
            ? [.. properties.EnumerateObject().Select(p => p.Name)]
            : [];

    /// <summary>A string goes in as itself; anything else as its JSON.</summary>
    private static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();

    /// <summary>A JSON Pointer into the variables (<c>/a/0</c>) as a JSON path (<c>$.variables.a[0]</c>).</summary>
    private static string PathOf(string pointer)
    {
        var path = new StringBuilder("$.variables");
        foreach (var segment in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = segment.Replace("~1", "/").Replace("~0", "~");
            path.Append(int.TryParse(name, out var index) ? $"[{index}]" : $".{name}");
        }
        return path.ToString();
    }

    [GeneratedRegex(@"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")]
    private static partial Regex Placeholder();
}
