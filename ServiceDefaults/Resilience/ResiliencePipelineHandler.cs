using Polly;

namespace AgentFleet.ServiceDefaults.Resilience;

/// <summary>Sends each request through a Polly pipeline that knows the request (for its method and its retries).</summary>
public abstract class ResiliencePipelineHandler(ResiliencePipeline<HttpResponseMessage> pipeline) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(ResiliencePipelines.RequestKey, request);
        try
        {
            return await pipeline.ExecuteAsync(
                async (ctx, state) => await state.Handler.SendOnceAsync(state.Request, ctx.CancellationToken),
                context,
                (Handler: this, Request: request));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>One attempt.</summary>
    protected virtual Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);
}
