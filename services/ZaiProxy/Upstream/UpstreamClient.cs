using System.Net;
using System.Net.Http.Headers;
using AgentFleet.ServiceDefaults.Resilience;
using AgentFleet.ZaiProxy.Options;
using AgentFleet.ZaiProxy.Telemetry;
using Microsoft.Extensions.Options;

namespace AgentFleet.ZaiProxy.Upstream;

/// <summary>
/// Sends a Messages API call upstream with the proxy's own key. 429, 529, other 5xx and connection failures are
/// retried with exponential backoff and jitter, honouring <c>retry-after</c>; a spend-limit error never is. All of
/// it happens before the response is handed back, so before anything reaches the caller. Server failures feed a
/// circuit breaker that pauses calls to a failing upstream.
/// </summary>
public sealed partial class UpstreamClient(HttpClient http, IOptions<UpstreamOptions> options, ProxyMetrics metrics, TimeProvider time, ILogger<UpstreamClient> logger)
{
    /// <summary>Request headers an Anthropic client sends that mean something to the upstream; nothing else is passed on.</summary>
    private static readonly string[] ForwardedHeaders = ["anthropic-version", "anthropic-beta", "anthropic-dangerous-direct-browser-access"];

    private readonly UpstreamOptions _options = options.Value;
    private readonly CircuitBreaker _breaker = new(options.Value.BreakerFailures, TimeSpan.FromSeconds(options.Value.BreakerSeconds), time);

    /// <summary>The response with its headers read; its body (streamed or not) is the caller's to read and dispose.</summary>
    public async Task<HttpResponseMessage> SendAsync(string path, byte[] body, IHeaderDictionary incoming, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            _breaker.Enter();
            HttpResponseMessage response;
            var started = time.GetTimestamp();
            try
            {
                response = await http.SendAsync(Build(path, body, incoming), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
            {
                _breaker.Failed();
                metrics.UpstreamCall(time.GetElapsedTime(started), "connect_error");
                if (attempt >= _options.MaxRetries)
                {
                    throw;
                }
                LogRetry(logger, attempt + 1, "connection failed", e.Message);
                await Task.Delay(Backoff(attempt, null), time, cancellationToken);
                continue;
            }
            catch
            {
                _breaker.Abandoned();
                throw;
            }
            metrics.UpstreamCall(time.GetElapsedTime(started), ((int)response.StatusCode).ToString());

            var status = (int)response.StatusCode;
            if (status < 400)
            {
                _breaker.Succeeded();
                return response;
            }
            var retryable = status is 429 or >= 500;
            if (status >= 500)
            {
                _breaker.Failed();
            }
            else
            {
                _breaker.Succeeded();
            }
            if (!retryable || attempt >= _options.MaxRetries || await IsSpendLimitAsync(response, cancellationToken))
            {
                return response;
            }
            var retryAfter = RetryAfter(response);
            if (retryAfter > TimeSpan.FromMilliseconds(_options.RetryMaxDelayMs))
            {
                // Longer than this proxy will hold a caller: the caller hears it and decides.
                return response;
            }
            LogRetry(logger, attempt + 1, status.ToString(), retryAfter is null ? "backing off" : $"retry-after {retryAfter.Value.TotalSeconds:0.#} s");
            response.Dispose();
            await Task.Delay(Backoff(attempt, retryAfter), time, cancellationToken);
        }
    }

    private HttpRequestMessage Build(string path, byte[] body, IHeaderDictionary incoming)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _options.BaseUrl.TrimEnd('/') + path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var name in ForwardedHeaders)
        {
            if (incoming.TryGetValue(name, out var value))
            {
                request.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)value!);
            }
        }
        if (!request.Headers.Contains("anthropic-version"))
        {
            request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        }
        if (string.Equals(_options.AuthHeader, "authorization", StringComparison.OrdinalIgnoreCase))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
        }
        else
        {
            request.Headers.TryAddWithoutValidation(_options.AuthHeader, _options.ApiKey);
        }
        return request;
    }

    /// <summary>
    /// Out of credit or over a spending cap: waiting will not help, so it is not retried (nor does it count against the
    /// upstream's health). Anthropic says <c>billing_error</c>; Z.AI answers 429 with a balance message.
    /// </summary>
    private static async Task<bool> IsSpendLimitAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.StatusCode == HttpStatusCode.PaymentRequired)
        {
            return true;
        }
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var text = (await response.Content.ReadAsStringAsync(cancellationToken)).ToLowerInvariant();
        return text.Contains("billing_error") || text.Contains("credit balance") || text.Contains("insufficient balance")
            || text.Contains("spend limit") || text.Contains("spending limit") || text.Contains("quota exceeded");
    }

    // Anthropic's retry-after-ms is the finer form of Retry-After; the standard header is read as every client here reads it.
    private TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.TryGetValues("retry-after-ms", out var ms) && double.TryParse(ms.FirstOrDefault(), out var millis)
            ? TimeSpan.FromMilliseconds(millis)
            : TransientHttp.RetryAfter(response, time);

    // Exponential with jitter (half to all of the step), so callers retrying together spread out.
    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        if (retryAfter is { } wait && wait > TimeSpan.Zero)
        {
            return wait;
        }
        var step = Math.Min(_options.RetryMaxDelayMs, _options.RetryBaseDelayMs * Math.Pow(2, attempt));
        return TimeSpan.FromMilliseconds(step * (0.5 + Random.Shared.NextDouble() / 2));
    }

    [LoggerMessage(LogLevel.Warning, "Upstream call attempt {Attempt} failed ({Reason}); retrying: {Detail}")]
    private static partial void LogRetry(ILogger logger, int attempt, string reason, string detail);
}
