using AgentFleet.Gateway.Configuration;
using Microsoft.AspNetCore.Http.Features;

namespace AgentFleet.Gateway.Forwarding;

/// <summary>
/// A WebSocket (any HTTP/1.1 Upgrade): the handshake goes to the service; when it answers 101, both connections
/// become byte pipes and the gateway copies each way until either side closes. Frames pass untouched, so messages,
/// pings and close codes arrive as sent.
/// </summary>
public sealed class UpgradeForwarder(HttpMessageInvoker invoker, ForwardingFailures failures)
{
    public async Task ForwardAsync(HttpContext context, ProxyRoute route, HttpRequestMessage request, Action<HttpContext, HttpRequestMessage> sign)
    {
        // Upgrade exists only in HTTP/1.1; the Connection and Upgrade headers are the handshake itself, so they go along.
        request.Version = System.Net.HttpVersion.Version11;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        ProxyHeaders.CopyRequestHeaders(context, request);
        request.Headers.TryAddWithoutValidation("Connection", "Upgrade");
        request.Headers.TryAddWithoutValidation("Upgrade", (IEnumerable<string?>)context.Request.Headers.Upgrade);
        sign(context, request);

        HttpResponseMessage response;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted))
        {
            timeout.CancelAfter(route.Timeout);
            try
            {
                response = await invoker.SendAsync(request, timeout.Token);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                await failures.SendFailedAsync(context, route, request.RequestUri!, e, timedOut: timeout.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested);
                return;
            }
        }
        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            ProxyHeaders.CopyResponseHeaders(response, context.Response);
            if (response.StatusCode != System.Net.HttpStatusCode.SwitchingProtocols)
            {
                // Refused (401, 404, ...): an ordinary answer.
                await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
                return;
            }
            // Hop-by-hop in general, but here they are the answer to the handshake.
            context.Response.Headers.Upgrade = response.Headers.Upgrade.ToString();
            context.Response.Headers.Connection = "Upgrade";
            await using var upstream = await response.Content.ReadAsStreamAsync(context.RequestAborted);
            await using var client = await context.Features.Get<IHttpUpgradeFeature>()!.UpgradeAsync();
            using var done = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            var toService = PumpAsync(client, upstream, done.Token);
            var toClient = PumpAsync(upstream, client, done.Token);
            // When one side closes, the other direction has nothing left to say: stop it too.
            await Task.WhenAny(toService, toClient);
            await done.CancelAsync();
            await Task.WhenAll(toService, toClient);
        }
    }

    private static async Task PumpAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                await to.FlushAsync(cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // A side went away; the caller ends the other direction.
        }
    }
}
