using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace AgentFleet.ServiceDefaults.Resilience;

/// <summary>Polly v8 pipelines standing in for Microsoft.Extensions.Http.Resilience, which is not in the feed.</summary>
public static class ResiliencePipelines
{
    internal static readonly ResiliencePropertyKey<HttpRequestMessage> RequestKey = new("fleet.http-request");

    /// <summary>Total timeout → retry (idempotent requests only, jittered, honouring Retry-After) → circuit breaker → attempt timeout.</summary>
    public static ResiliencePipeline<HttpResponseMessage> Build(ResilienceOptions options, bool attemptTimeoutInPipeline, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time };
        if (options.TotalTimeout is { } total)
        {
            builder.AddTimeout(total);
        }
        builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = options.MaxRetryAttempts,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.BaseDelay,
            ShouldHandle = args => ValueTask.FromResult(
                args.Context.Properties.TryGetValue(RequestKey, out var request)
                && TransientHttp.IsIdempotent(request.Method)
                && TransientHttp.IsReplayable(request.Content)
                && TransientHttp.IsTransient(args.Outcome.Result, args.Outcome.Exception)
                && !(TransientHttp.RetryAfter(args.Outcome.Result, time) > options.MaxRetryAfter)),
            DelayGenerator = args => ValueTask.FromResult(TransientHttp.RetryAfter(args.Outcome.Result, time)),
            // The failed response is dropped for the next attempt: release its connection now.
            OnRetry = args =>
            {
                args.Outcome.Result?.Dispose();
                return ValueTask.CompletedTask;
            },
        });
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            FailureRatio = options.FailureRatio,
            MinimumThroughput = options.MinimumThroughput,
            SamplingDuration = options.SamplingDuration,
            BreakDuration = options.BreakDuration,
            ShouldHandle = args => ValueTask.FromResult(TransientHttp.IsTransient(args.Outcome.Result, args.Outcome.Exception)),
        });
        if (attemptTimeoutInPipeline)
        {
            builder.AddTimeout(options.AttemptTimeout);
        }
        return builder.Build();
    }
}
