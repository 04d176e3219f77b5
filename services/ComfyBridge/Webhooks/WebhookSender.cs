using System.Net;
using System.Text.Json;
using AgentFleet.ComfyBridge.Jobs;
using AgentFleet.ComfyBridge.Options;
using Microsoft.Extensions.Options;

namespace AgentFleet.ComfyBridge.Webhooks;

/// <summary>
/// Delivers a job's webhook once it is final: a signed JSON POST, retried with doubling waits on a network error, a
/// timeout, 408, 429 or 5xx, given up on any other refusal or after the configured attempts. Each attempt is recorded
/// in <c>comfy_jobs</c>, so a bridge that restarts picks up deliveries it had not finished, and never repeats a delivered one.
/// </summary>
public sealed partial class WebhookSender(JobStore jobs, IHttpClientFactory httpClients, IOptions<ComfyOptions> options, TimeProvider time, ILogger<WebhookSender> logger)
{
    public const string ClientName = "webhooks";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Starts delivering in the background; the caller does not wait for the receiver.</summary>
    public void Deliver(JobRow job)
    {
        if (job.WebhookUrl is not null && job.WebhookDeliveredAt is null)
        {
            _ = Task.Run(() => DeliverAsync(job, CancellationToken.None));
        }
    }

    public async Task DeliverAsync(JobRow job, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var body = JsonSerializer.SerializeToUtf8Bytes(Payload(job), Json);
        var eventName = $"workflow.{job.Status}";
        var attempt = job.WebhookAttempts;
        while (attempt < settings.WebhookAttempts)
        {
            if (attempt > 0)
            {
                var wait = settings.WebhookInitialDelay * Math.Pow(2, attempt - 1) * (0.9 + Random.Shared.NextDouble() * 0.2);
                await Task.Delay(wait, time, cancellationToken);
            }
            attempt++;
            var (delivered, retry, error) = await SendAsync(job, body, eventName, settings, cancellationToken);
            // A refusal that retrying cannot change uses up the attempts, so a restart does not try it again.
            await jobs.RecordWebhookAsync(job.Id, delivered || retry ? attempt : settings.WebhookAttempts, delivered, error, CancellationToken.None);
            if (delivered)
            {
                return;
            }
            LogAttemptFailed(logger, job.Id, attempt, error ?? "");
            if (!retry)
            {
                return;
            }
        }
    }

    private async Task<(bool Delivered, bool Retry, string? Error)> SendAsync(JobRow job, byte[] body, string eventName, ComfyOptions settings, CancellationToken cancellationToken)
    {
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, job.WebhookUrl) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp);
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Compute(settings.WebhookSecret ?? "", timestamp, body));
        request.Headers.Add(WebhookSignature.EventHeader, eventName);
        request.Headers.Add(WebhookSignature.DeliveryHeader, job.Id.ToString());
        using var http = httpClients.CreateClient(ClientName);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.WebhookTimeout);
        try
        {
            using var response = await http.SendAsync(request, timeout.Token);
            var status = (int)response.StatusCode;
            return response.IsSuccessStatusCode
                ? (true, false, null)
                : (false, status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests, $"HTTP {status}");
        }
        catch (HttpRequestException e) when (e.InnerException is WebhookTargetRefusedException refused)
        {
            return (false, false, refused.Message);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (false, true, e is OperationCanceledException ? "timed out" : e.Message);
        }
    }

    private static object Payload(JobRow job) => new
    {
        @event = $"workflow.{job.Status}",
        workflowId = job.Id,
        status = job.Status,
        outputs = job.Outputs.Select(name => new { name, url = $"/v1/comfyui/outputs/{Uri.EscapeDataString(name)}" }),
        error = job.Error,
        createdAt = job.CreatedAt,
        endedAt = job.EndedAt,
    };

    [LoggerMessage(LogLevel.Warning, "Webhook of workflow {WorkflowId}, attempt {Attempt}, failed: {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, Guid workflowId, int attempt, string error);
}
