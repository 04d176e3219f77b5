using System.Net;
using AgentFleet.ZaiProxy.Options;
using AgentFleet.ZaiProxy.Telemetry;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace AgentFleet.ZaiProxy.Upstream;

/// <summary>
/// The Polly pipeline around each upstream attempt: a retry outside a circuit breaker. The retry takes 429, 529, other
/// 5xx and connection failures, with exponential backoff and jitter or the upstream's own <c>retry-after</c>; never a
/// spend-limit error, nor a wait longer than <c>RetryMaxDelayMs</c> (the caller hears that and decides), nor a paused
/// circuit. Server failures feed the breaker: when every call of the last <c>BreakerSamplingSeconds</c> failed, at least
/// <c>BreakerFailures</c> of them, it refuses calls for <c>BreakerSeconds</c>, then lets one trial through, whose success
/// closes it. All of it happens before the response is handed back, so before anything reaches the caller: a stream is
/// never retried once its first byte is out.
/// </summary>
public static partial class UpstreamPipeline
{
    public static ResiliencePipeline<HttpResponseMessage> Build(UpstreamOptions options, TimeProvider time, ILogger logger) =>
        new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                // Polly wants at least one; with MaxRetries 0 nothing is handled, so nothing is retried.
                MaxRetryAttempts = Math.Max(options.MaxRetries, 1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(options.RetryBaseDelayMs),
                MaxDelay = TimeSpan.FromMilliseconds(options.RetryMaxDelayMs),
                ShouldHandle = args => options.MaxRetries > 0 ? ShouldRetryAsync(args.Outcome, options, time, args.Context.CancellationToken) : ValueTask.FromResult(false),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } response && RetryAfter(response, time) is { } wait && wait > TimeSpan.Zero ? wait : (TimeSpan?)null),
                OnRetry = args =>
                {
                    LogRetry(logger, args.AttemptNumber + 1, args.Outcome.Exception is { } e ? "connection failed" : ((int)args.Outcome.Result!.StatusCode).ToString(),
                        args.Outcome.Exception?.Message ?? $"waiting {args.RetryDelay.TotalSeconds:0.#} s");
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                FailureRatio = 1.0,
                MinimumThroughput = Math.Max(options.BreakerFailures, 2),
                SamplingDuration = TimeSpan.FromSeconds(Math.Max(options.BreakerSamplingSeconds, 0.5)),
                BreakDuration = TimeSpan.FromSeconds(Math.Max(options.BreakerSeconds, 0.5)),
                ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                {
                    { Exception: HttpRequestException } => true,
                    { Result: { } response } => (int)response.StatusCode >= 500,
                    _ => false,
                }),
            })
            .Build();

    private static async ValueTask<bool> ShouldRetryAsync(Outcome<HttpResponseMessage> outcome, UpstreamOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (outcome.Exception is HttpRequestException)
        {
            return !cancellationToken.IsCancellationRequested;
        }
        if (outcome.Result is not { } response || (int)response.StatusCode is not (429 or >= 500))
        {
            return false;
        }
        return RetryAfter(response, time) is not { } wait || wait <= TimeSpan.FromMilliseconds(options.RetryMaxDelayMs)
            ? !await IsSpendLimitAsync(response, cancellationToken)
            : false;
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

    // Anthropic's retry-after-ms is the finer form of Retry-After (seconds or an HTTP date).
    private static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        if (response.Headers.TryGetValues("retry-after-ms", out var ms) && double.TryParse(ms.FirstOrDefault(), out var millis))
        {
            return TimeSpan.FromMilliseconds(Math.Max(millis, 0));
        }
        return response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
            _ => null,
        };
    }

    [LoggerMessage(LogLevel.Warning, "Upstream call attempt {Attempt} failed ({Reason}); retrying: {Detail}")]
    private static partial void LogRetry(ILogger logger, int attempt, string reason, string detail);
}
