using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;

namespace AgentFleet.ZaiProxy.Simulation;

/// <summary>
/// The simulated model as the proxy's HTTP handler: requests never leave the process, but everything above the
/// handler (pool, queue, retries, streaming relay, accounting) runs exactly as it does for a real upstream.
/// </summary>
public sealed class SimulatedUpstreamHandler(SimulatedModel model) : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var path = request.RequestUri!.AbsolutePath;
        if (!path.EndsWith("/v1/messages", StringComparison.Ordinal) && !path.EndsWith("/v1/messages/count_tokens", StringComparison.Ordinal))
        {
            return Json(HttpStatusCode.NotFound, SimulatedStream.ErrorBody(404));
        }
        SimulatedReply reply;
        try
        {
            if (path.EndsWith("/count_tokens", StringComparison.Ordinal))
            {
                return Json(HttpStatusCode.OK, System.Text.Encoding.UTF8.GetBytes($"{{\"input_tokens\":{SimulatedModel.CountTokens(body)}}}"));
            }
            reply = model.Plan(body);
        }
        catch (SimulatedRequestException e)
        {
            return Json(HttpStatusCode.BadRequest, SimulatedStream.ErrorBody(400, e.Message));
        }
        if (reply.ErrorStatus is { } status)
        {
            return Json((HttpStatusCode)status, SimulatedStream.ErrorBody(status));
        }
        if (!reply.Stream)
        {
            return Json(HttpStatusCode.OK, await SimulatedStream.MessageAsync(reply, cancellationToken));
        }

        // Events are produced as the reader consumes them, with the same delays and cut as over a socket.
        var pipe = new Pipe();
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var frame in SimulatedStream.EventsAsync(reply, cancellationToken))
                {
                    await pipe.Writer.WriteAsync(frame, cancellationToken);
                }
                await pipe.Writer.CompleteAsync();
            }
            catch (Exception e)
            {
                await pipe.Writer.CompleteAsync(e);
            }
        }, CancellationToken.None);
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(pipe.Reader.AsStream()), RequestMessage = request };
        response.Content.Headers.ContentType = new MediaTypeHeaderValue("text/event-stream");
        return response;
    }

    private static HttpResponseMessage Json(HttpStatusCode status, byte[] body)
    {
        var response = new HttpResponseMessage(status) { Content = new ByteArrayContent(body) };
        response.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return response;
    }
}
