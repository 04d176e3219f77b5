using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AgentFleet.AppHost.Kubernetes;

/// <summary>
/// The Aspire manifest's value expressions (<c>{redis.connectionString}</c>, <c>{gateway.bindings.http.url}</c>,
/// <c>{identity-secret.value}</c>) as a pod sees them: services by their Service's DNS name and port, parameters as
/// environment variables (<c>$(PARAM_...)</c>) filled from the Secret or the ConfigMap, which Kubernetes expands in
/// the variables after them.
/// </summary>
public sealed partial class ManifestExpressions(JsonObject resources)
{
    /// <summary>The port a project listens on for an endpoint the app model gives no fixed port.</summary>
    public static int DefaultPort(string endpoint) => endpoint switch
    {
        "http" => 8080,
        "grpc" => 8081,
        "agent-control" => 9500,
        _ => throw new InvalidOperationException($"No port is known for the endpoint '{endpoint}'."),
    };

    public bool IsSecret(string parameter) => resources[parameter]?["inputs"]?["value"]?["secret"]?.GetValue<bool>() ?? false;

    public static string ParameterVariable(string parameter) => "PARAM_" + parameter.Replace('-', '_').ToUpperInvariant();

    public int PortOf(string resource, string endpoint) =>
        resources[resource]?["bindings"]?[endpoint]?["targetPort"]?.GetValue<int>() ?? DefaultPort(endpoint);

    /// <summary><paramref name="expression"/> with every reference resolved; the parameters it needs are added to <paramref name="parameters"/>.</summary>
    public string Resolve(string expression, ISet<string> parameters)
    {
        var result = new StringBuilder();
        var last = 0;
        foreach (Match reference in Reference().Matches(expression))
        {
            result.Append(expression, last, reference.Index - last);
            result.Append(ResolveOne(reference.Groups[1].Value, parameters));
            last = reference.Index + reference.Length;
        }
        return result.Append(expression, last, expression.Length - last).ToString();
    }

    private string ResolveOne(string path, ISet<string> parameters)
    {
        var parts = path.Split('.');
        var resource = resources[parts[0]] as JsonObject ?? throw new InvalidOperationException($"The manifest names no resource '{parts[0]}' (in {{{path}}}).");
        var type = resource["type"]?.GetValue<string>();
        switch (parts[1..])
        {
            case ["connectionString"]:
                return Resolve(resource["connectionString"]?.GetValue<string>() ?? "", parameters);
            case ["value"] when type == "parameter.v0":
                parameters.Add(parts[0]);
                return $"$({ParameterVariable(parts[0])})";
            case ["value"]:
                // An annotated string (a parameter URI-encoded): the parameter itself; choose URL-safe passwords.
                return Resolve(resource["value"]?.GetValue<string>() ?? "", parameters);
            case ["bindings", var endpoint, var property]:
                var binding = resource["bindings"]?[endpoint] ?? throw new InvalidOperationException($"{parts[0]} has no endpoint '{endpoint}'.");
                var scheme = binding["scheme"]?.GetValue<string>() ?? "http";
                var port = PortOf(parts[0], endpoint);
                return property switch
                {
                    "host" => parts[0],
                    "port" or "targetPort" => port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "scheme" => scheme,
                    "url" => $"{scheme}://{parts[0]}:{port}",
                    "tlsEnabled" => "False",
                    _ => throw new InvalidOperationException($"{{{path}}}: '{property}' of an endpoint is not known."),
                };
            default:
                throw new InvalidOperationException($"{{{path}}} is not an expression the Kubernetes manifests know.");
        }
    }

    [GeneratedRegex(@"\{([a-zA-Z0-9_\-]+(?:\.[a-zA-Z0-9_\-]+)+)\}")]
    private static partial Regex Reference();
}
