using AgentFleet.ZaiProxy.Upstream;

namespace AgentFleet.ZaiProxy.Simulation;

/// <summary>
/// The simulated model served over HTTP on its own, as a stand-in for the real upstream: the benchmark compares
/// calling it directly with calling it through the proxy, and tests watch what reaches it.
/// </summary>
public static class SimulatedUpstreamEndpoints
{
    public static IEndpointRouteBuilder MapSimulatedUpstream(this IEndpointRouteBuilder endpoints, SimulatedModel model)
    {
        endpoints.MapPost("/v1/messages/count_tokens", async (HttpContext context) =>
        {
            var body = await ReadAsync(context.Request);
            int tokens;
            try
            {
                tokens = SimulatedModel.CountTokens(body);
            }
            catch (SimulatedRequestException e)
            {
                await RefuseAsync(context, e);
                return;
            }
            await Results.Json(new { input_tokens = tokens }).ExecuteAsync(context);
        });
        endpoints.MapPost("/v1/messages", async (HttpContext context) =>
        {
            SimulatedReply reply;
            try
            {
                reply = model.Plan(await ReadAsync(context.Request));
            }
            catch (SimulatedRequestException e)
            {
                await RefuseAsync(context, e);
                return;
            }
            if (reply.ErrorStatus is { } status)
            {
                context.Response.StatusCode = status;
                await WriteJsonAsync(context, SimulatedStream.ErrorBody(status));
                return;
            }
            if (!reply.Stream)
            {
                await WriteJsonAsync(context, await SimulatedStream.MessageAsync(reply, context.RequestAborted));
                return;
            }
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            try
            {
                await foreach (var frame in SimulatedStream.EventsAsync(reply, context.RequestAborted))
                {
                    await context.Response.Body.WriteAsync(frame, context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }
            }
            catch (SimulatedCutException)
            {
                // An abort resets the connection, and a reset can discard what the peer has not read yet; waiting a
                // moment first makes the cut land after the n deltas, as #sim cut promises.
                await Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None);
                context.Abort();
            }
        });
        return endpoints;
    }

    private static Task RefuseAsync(HttpContext context, SimulatedRequestException e)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return WriteJsonAsync(context, SimulatedStream.ErrorBody(400, e.Message));
    }

    private static async Task<byte[]> ReadAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        return buffer.ToArray();
    }

    private static Task WriteJsonAsync(HttpContext context, byte[] body)
    {
        context.Response.ContentType = "application/json";
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }
}
