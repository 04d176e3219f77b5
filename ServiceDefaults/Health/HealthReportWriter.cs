using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AgentFleet.ServiceDefaults.Health;

/// <summary>
/// <c>{"status": "Healthy", "totalDurationMs": 1.2, "checks": [{"name", "status", "durationMs", "description", "tags"}]}</c>.
/// Exception details stay in the logs: a check's description is what the caller sees.
/// </summary>
internal static class HealthReportWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = report.Status.ToString(),
            totalDurationMs = Math.Round(report.TotalDuration.TotalMilliseconds, 3),
            checks = report.Entries.Select(entry => new
            {
                name = entry.Key,
                status = entry.Value.Status.ToString(),
                durationMs = Math.Round(entry.Value.Duration.TotalMilliseconds, 3),
                description = entry.Value.Description ?? DefaultDescription(entry.Value),
                tags = entry.Value.Tags,
            }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, HealthJson.Options, context.RequestAborted);
    }

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
