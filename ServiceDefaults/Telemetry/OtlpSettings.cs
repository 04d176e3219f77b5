using Microsoft.Extensions.Configuration;
using OpenTelemetry.Exporter;

namespace AgentFleet.ServiceDefaults.Telemetry;

/// <summary>
/// The standard <c>OTEL_EXPORTER_OTLP_*</c> settings, read from configuration (so from the environment
/// too) and applied per signal: over http/protobuf each signal posts to its own path under the endpoint.
/// </summary>
internal sealed record OtlpSettings(Uri Endpoint, OtlpExportProtocol Protocol, string? Headers)
{
    public static OtlpSettings? From(IConfiguration configuration)
    {
        if (!Uri.TryCreate(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"], UriKind.Absolute, out var endpoint))
        {
            return null;
        }
        var protocol = configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] is "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        return new OtlpSettings(endpoint, protocol, configuration["OTEL_EXPORTER_OTLP_HEADERS"]);
    }

    public void Apply(OtlpExporterOptions options, string signalPath)
    {
        options.Protocol = Protocol;
        options.Endpoint = Protocol == OtlpExportProtocol.HttpProtobuf
            ? new Uri(Endpoint.ToString().TrimEnd('/') + signalPath)
            : Endpoint;
        if (Headers is not null)
        {
            options.Headers = Headers;
        }
    }
}
