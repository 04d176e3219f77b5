using Polly.CircuitBreaker;
using System.Text.Json;
using AgentFleet.ZaiProxy.Accounting;
using AgentFleet.ZaiProxy.Auth;
using AgentFleet.ZaiProxy.Options;
using AgentFleet.ZaiProxy.Pool;
using AgentFleet.ZaiProxy.Telemetry;
using Microsoft.Extensions.Options;

namespace AgentFleet.ZaiProxy.Upstream;

/// <summary>A whole (non-streamed) upstream answer: its status and body as sent, and what it used.</summary>
public sealed record CompletedCall(int Status, byte[] Body, UsageTally Usage, decimal Cost);

/// <summary>
/// One model call from a caller to the upstream: a worker from the pool (or a place in its queue), the upstream
/// call with its retries, the reply passed through as it comes, and the usage recorded. The request and reply bodies
/// are passed on byte for byte, so fields this proxy does not know survive both ways.
/// </summary>
public sealed class MessagesForwarder(WorkerPool pool, UpstreamClient upstream, UsageRecorder usage, ProxyMetrics metrics, IOptions<PoolOptions> options)
{
    /// <summary>Response headers worth passing back besides the content type.</summary>
    private static readonly string[] ReturnedHeaders = ["request-id", "x-request-id", "retry-after", "retry-after-ms", "x-should-retry"];

    private readonly PoolOptions _options = options.Value;

    /// <summary>Passes <c>POST /v1/messages</c> or <c>/v1/messages/count_tokens</c> through; errors in Anthropic's shape.</summary>
    public async Task ForwardAsync(HttpContext context, Caller caller, string path, byte[] body, bool stream)
    {
        var aborted = context.RequestAborted;
        // Bounds the queue wait and the upstream call; a stream, once its headers are in, is bounded by its idle timeout instead.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(TimeSpan.FromSeconds(_options.RequestTimeoutSeconds));
        try
        {
            using var lease = await AcquireAsync(deadline.Token);
            using var response = await SendAsync(path, body, context.Request.Headers, deadline.Token);
            var tally = new UsageTally();
            if (response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == "text/event-stream")
            {
                deadline.CancelAfter(Timeout.InfiniteTimeSpan);
                ReturnHeaders(response, context.Response);
                context.Response.Headers.CacheControl = "no-cache";
                await context.Response.Body.FlushAsync(aborted);
                await using var events = await response.Content.ReadAsStreamAsync(aborted);
                // Priced before message_stop reaches the caller, as a whole reply is before it is written; a stream that
                // broke off after its usage still cost what it reported, and is priced at the end.
                var recorded = false;
                async ValueTask RecordOnceAsync()
                {
                    if (!recorded && tally.HasUsage)
                    {
                        recorded = true;
                        await usage.RecordAsync(caller, tally);
                    }
                }
                await SseRelay.RelayAsync(events, context.Response.Body, tally, TimeSpan.FromSeconds(_options.StreamIdleTimeoutSeconds), RecordOnceAsync, aborted);
                await RecordOnceAsync();
            }
            else
            {
                var reply = await ReadReplyAsync(response, deadline.Token, aborted);
                if (response.IsSuccessStatusCode && path == "/v1/messages")
                {
                    tally.ObserveMessage(reply);
                }
                // Priced before the caller has the reply, so its next call is checked against a spend that includes this one.
                if (tally.HasUsage)
                {
                    await usage.RecordAsync(caller, tally);
                }
                ReturnHeaders(response, context.Response);
                await context.Response.Body.WriteAsync(reply, aborted);
            }
        }
        catch (ProxyFailure failure)
        {
            await AnthropicErrors.WriteAsync(context, failure.Status, failure.Code, failure.Message, failure.RetryAfter);
        }
    }

    /// <summary>A whole call without streaming for the proxy's own endpoints (<c>/chat</c>); throws <see cref="ProxyFailure"/>.</summary>
    public async Task<CompletedCall> CompleteAsync(Caller caller, byte[] body, TimeSpan timeout, CancellationToken aborted)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(timeout);
        using var lease = await AcquireAsync(deadline.Token);
        using var response = await SendAsync("/v1/messages", body, new HeaderDictionary(), deadline.Token);
        var reply = await ReadReplyAsync(response, deadline.Token, aborted);
        var tally = new UsageTally();
        if (!response.IsSuccessStatusCode)
        {
            return new CompletedCall((int)response.StatusCode, reply, tally, 0);
        }
        tally.ObserveMessage(reply);
        return new CompletedCall(200, reply, tally, tally.HasUsage ? await usage.RecordAsync(caller, tally) : 0);
    }

    private static async Task<byte[]> ReadReplyAsync(HttpResponseMessage response, CancellationToken deadline, CancellationToken aborted)
    {
        try
        {
            return await response.Content.ReadAsByteArrayAsync(deadline);
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            throw new ProxyFailure(504, "timeout", "The upstream did not finish its reply in time.");
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !aborted.IsCancellationRequested)
        {
            throw new ProxyFailure(502, "upstream_unreachable", "The upstream connection broke off mid-reply.");
        }
    }

    private static void ReturnHeaders(HttpResponseMessage from, HttpResponse to)
    {
        to.StatusCode = (int)from.StatusCode;
        to.ContentType = from.Content.Headers.ContentType?.ToString() ?? "application/json";
        foreach (var (name, values) in from.Headers)
        {
            if (name.StartsWith("anthropic-", StringComparison.OrdinalIgnoreCase) || ReturnedHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                to.Headers[name] = values.ToArray();
            }
        }
    }

    private async Task<WorkerPool.Lease> AcquireAsync(CancellationToken deadline)
    {
        try
        {
            return await pool.AcquireAsync(deadline);
        }
        catch (QueueFullException full)
        {
            metrics.Rejected("queue_full");
            throw new ProxyFailure(429, "queue_full", $"All {pool.Size} workers are busy and {pool.MaxQueue} requests are already waiting; try again shortly.", full.RetryAfter);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            metrics.Rejected("queue_timeout");
            throw new ProxyFailure(504, "timeout", "No worker became free in time.");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string path, byte[] body, IHeaderDictionary headers, CancellationToken deadline)
    {
        try
        {
            return await upstream.SendAsync(path, body, headers, deadline);
        }
        catch (BrokenCircuitException open)
        {
            metrics.Rejected("circuit_open");
            throw new ProxyFailure(503, "upstream_unavailable", "The upstream has been failing; calls are paused briefly.", open.RetryAfter ?? TimeSpan.FromSeconds(1));
        }
        catch (HttpRequestException)
        {
            throw new ProxyFailure(502, "upstream_unreachable", "The upstream could not be reached.");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new ProxyFailure(504, "timeout", "The upstream did not answer in time.");
        }
    }

    /// <summary>Whether a request body asks for a stream; throws <see cref="JsonException"/> for a body that is not a JSON object.</summary>
    public static bool WantsStream(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("The body must be a JSON object.");
        }
        var stream = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
            {
                var isStream = reader.ValueTextEquals("stream"u8);
                reader.Read();
                if (isStream)
                {
                    stream = reader.TokenType == JsonTokenType.True;
                }
                reader.Skip();
            }
        }
        return stream;
    }
}
