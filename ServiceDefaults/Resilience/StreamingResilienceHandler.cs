namespace AgentFleet.ServiceDefaults.Resilience;

/// <summary>
/// For streamed responses (SSE, long downloads; use with <c>HttpCompletionOption.ResponseHeadersRead</c>):
/// no total timeout, and nothing is retried once the response headers have arrived, because from then
/// on the caller owns the stream. The attempt timeout covers only the wait for headers.
/// </summary>
public sealed class StreamingResilienceHandler(ResilienceOptions options, TimeProvider? time = null)
    // The attempt timeout lives here, not in the pipeline: Polly recycles its timeout token sources, and
    // an HTTP/2 response stream can keep a registration on the token it was sent with for its lifetime.
    : ResiliencePipelineHandler(ResiliencePipelines.Build(options with { TotalTimeout = null }, attemptTimeoutInPipeline: false, time))
{
    protected override async Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Disposed, never cancelled, once the headers are in.
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(options.AttemptTimeout);
        try
        {
            return await base.SendOnceAsync(request, attempt.Token);
        }
        catch (OperationCanceledException) when (attempt.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new AttemptTimeoutException(options.AttemptTimeout);
        }
    }
}
