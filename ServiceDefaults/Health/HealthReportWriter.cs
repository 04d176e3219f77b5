using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentFleet.ServiceDefaults.Health;

/// <summary>
/// <c>{"status": "Healthy", "totalDurationMs": 1.2, "checks": [{"name", "status", "durationMs", "description", "tags"}]}</c>,
/// plus whatever the service's <see cref="IHealthDetails"/> adds.
/// Exception details stay in the logs: a check's description is what the caller sees.
/// </summary>
internal static class HealthReportWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new Dictionary<string, object?>
        {
            ["status"] = report.Status.ToString(),
            ["totalDurationMs"] = Math.Round(report.TotalDuration.TotalMilliseconds, 3),
            ["checks"] = report.Entries.Select(entry => new
            {
                name = entry.Key,
                status = entry.Value.Status.ToString(),
                durationMs = Math.Round(entry.Value.Duration.TotalMilliseconds, 3),
                description = Describe(entry.Value),
                tags = entry.Value.Tags,
            }),
        };
        foreach (var (name, value) in context.RequestServices.GetService<IHealthDetails>()?.Describe() ?? [])
        {
            body.TryAdd(name, value);
        }
        return JsonSerializer.SerializeAsync(context.Response.Body, body, HealthJson.Options, context.RequestAborted);
    }

    /// <summary>
    /// A check's own words, unless they are an exception's message: the health service copies that in
    /// when a check throws, and /health is public through the gateway.
    /// </summary>
    private static string? Describe(HealthReportEntry entry) =>
        entry.Exception is not null && (entry.Description is null || entry.Description == entry.Exception.Message)
            ? DefaultDescription(entry)
            : entry.Description;

    private static string? DefaultDescription(HealthReportEntry entry) =>
        entry.Exception is null ? null : entry.Exception.GetType().Name switch
        {
            "TimeoutException" or "OperationCanceledException" => "timed out",
            _ => "check failed",
        };
}

internal static class HealthJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
