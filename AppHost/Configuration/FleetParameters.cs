namespace AgentFleet.AppHost.Configuration;

/// <summary>
/// The fleet's secrets as Aspire parameters. A value comes from configuration (<c>Parameters:{name}</c>), else from
/// the environment variable the README documents (<c>management-api-key</c> → <c>MANAGEMENT_API_KEY</c>), else it
/// is generated on first run and kept in <c>.fleet/secrets.json</c>, so restarts keep keys and signatures valid.
/// </summary>
public static class FleetParameters
{
    public static IResourceBuilder<ParameterResource> AddGeneratedSecret(this IDistributedApplicationBuilder builder, string name, SecretStore store, bool announce = false) =>
        builder.AddParameter(name, () =>
        {
            if (builder.Configuration[$"Parameters:{name}"] is { Length: > 0 } configured)
            {
                return configured;
            }
            if (builder.Configuration[EnvironmentName(name)] is { Length: > 0 } fromEnvironment)
            {
                return fromEnvironment;
            }
            var value = store.GetOrCreate(name, out var generated);
            if (generated && announce)
            {
                // The one secret a person needs: printed once, when it is made.
                Console.WriteLine($"Generated {EnvironmentName(name)} (kept in {store.Path}): {value}");
            }
            return value;
        }, secret: true);

    public static string EnvironmentName(string name) => name.Replace('-', '_').ToUpperInvariant();
}
