namespace AgentFleet.Hosting.ApplicationModel;

/// <summary>
/// A value given to resources through configuration. A secret comes from the environment (its name
/// upper-snake-cased: <c>management-api-key</c> → <c>MANAGEMENT_API_KEY</c>) or is generated once
/// and kept under <c>.fleet/</c>.
/// </summary>
public sealed class ParameterResource(string name, Func<string> resolve, bool secret) : Resource(name)
{
    private readonly Lazy<string> _value = new(resolve);

    public override string Kind => "parameter";

    public bool Secret { get; } = secret;

    public string Value => _value.Value;

    public static string EnvironmentName(string name) => name.Replace('-', '_').ToUpperInvariant();
}
