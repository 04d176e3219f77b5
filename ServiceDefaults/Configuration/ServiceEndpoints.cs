using Microsoft.Extensions.Configuration;

namespace AgentFleet.ServiceDefaults.Configuration;

public static class ServiceEndpoints
{
    /// <summary>
    /// The address Aspire injects as <c>services__{service}__{endpoint}__0</c>, for example
    /// <c>services__session-runner__grpc__0=http://127.0.0.1:5124</c>.
    /// </summary>
    public static Uri? GetServiceUri(this IConfiguration configuration, string service, string endpoint = "http")
    {
        var value = configuration[$"services:{service}:{endpoint}:0"];
        return Uri.TryCreate(value, UriKind.Absolute, out var uri) ? uri : null;
    }

    public static Uri GetRequiredServiceUri(this IConfiguration configuration, string service, string endpoint = "http") =>
        configuration.GetServiceUri(service, endpoint)
        ?? throw new InvalidOperationException($"services__{service}__{endpoint}__0 is not set. Run through the AppHost, or set it to the service's address.");
}
