using Polly;

namespace AgentFleet.ServiceDefaults.Resilience;

/// <summary>Sends each request through the standard pipeline: for calls whose response is read whole.</summary>
public sealed class ResilienceHandler(ResilienceOptions options, TimeProvider? time = null) : DelegatingHandler
{
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline = ResiliencePipelines.Build(options, attemptTimeoutInPipeline: true, time);

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

    private Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);
}
