using Polly;

namespace AgentFleet.ServiceDefaults.Resilience;

/// <summary>
/// For streamed responses (SSE, long downloads; use with <c>HttpCompletionOption.ResponseHeadersRead</c>):
/// no total timeout, and nothing is retried once the response headers have arrived, because from then
/// on the caller owns the stream. The attempt timeout covers only the wait for headers.
/// </summary>
public sealed class StreamingResilienceHandler(ResilienceOptions options, TimeProvider? time = null) : DelegatingHandler
{
    // The attempt timeout lives here, not in the pipeline: Polly recycles its timeout token sources, and
    // an HTTP/2 response stream can keep a registration on the token it was sent with for its lifetime.
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline = ResiliencePipelines.Build(options with { TotalTimeout = null }, attemptTimeoutInPipeline: false, time);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(ResiliencePipelines.RequestKey, request);
        try
        {
            return await _pipeline.ExecuteAsync(
                async (ctx, state) => await state.Handler.SendOnceAsync(state.Request, ctx.CancellationToken),
                context,
                (Handler: this, Request: request));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Never disposed-then-cancelled: once headers are in, this source is dropped without cancelling.
        var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(options.AttemptTimeout);
        try
        {
            return await base.SendAsync(request, attempt.Token);
        }
        catch (OperationCanceledException) when (attempt.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new AttemptTimeoutException(options.AttemptTimeout);
        }
        finally
        {
            attempt.Dispose();
        }
    }
}
