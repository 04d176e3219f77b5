using System.Buffers;
using AgentFleet.Gateway.Configuration;
using AgentFleet.Gateway.Telemetry;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ServiceDefaults.Security;
using Microsoft.AspNetCore.Http.Features;

namespace AgentFleet.Gateway.Forwarding;

/// <summary>
/// Forwards one request to its route's cluster and streams the answer back: bodies are copied as they arrive in
/// both directions (never buffered whole), so SSE events, long downloads and uploads pass through at once and in
/// flat memory. A client that goes away cancels the upstream call. Connect failures are 502, and 504 when the
/// service stays silent for the route's timeout before it answers (an upload still flowing keeps it alive), both
/// as ProblemDetails, as long as nothing was sent yet.
/// </summary>
public sealed partial class HttpForwarder(
    HttpMessageInvoker invoker, IdentitySigner signer, UpgradeForwarder upgrades, ForwardingFailures failures, GatewayMetrics metrics, ILogger<HttpForwarder> logger)
{
    private const int BufferSize = 64 * 1024;

    public async Task ForwardAsync(HttpContext context, ProxyRoute route)
    {
        if (!ApplyBodyLimit(context, route))
        {
            // The body is left unread: the connection cannot be reused, and saying so lets the client stop sending.
            context.Response.Headers.Connection = "close";
            await failures.FailAsync(context, route, StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "The request body is too large.",
                $"This route accepts at most {route.MaxRequestBodySize} bytes.", "body_too_large");
            return;
        }
        var destination = route.Cluster.NextDestination();
        var target = Target(destination, context.Request, route);
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), target);
        var upgrade = context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } && context.Request.Headers.Upgrade.Count > 0;
        if (upgrade)
        {
            await upgrades.ForwardAsync(context, route, request, Sign);
            return;
        }
        request.Version = route.Cluster.Version;
        request.VersionPolicy = route.Cluster.Version.Major >= 2 ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(route.Timeout);
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            request.Content = new StreamContent(new ActivityStream(context.Request.Body, () => timeout.CancelAfter(route.Timeout)), BufferSize);
        }
        ProxyHeaders.CopyRequestHeaders(context, request);
        Sign(context, request);
        HttpResponseMessage response;
        try
        {
            response = await invoker.SendAsync(request, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or BadHttpRequestException or IOException)
        {
            await failures.SendFailedAsync(context, route, destination, e, timedOut: timeout.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested);
            return;
        }
        using (response)
        {
            // The timeout was for the answer to begin; a stream then runs as long as both ends want it.
            timeout.CancelAfter(Timeout.InfiniteTimeSpan);
            context.Response.StatusCode = (int)response.StatusCode;
            ProxyHeaders.CopyResponseHeaders(response, context.Response);
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            await CopyBodyAsync(context, route, response, timeout.Token);
        }
    }

    private async Task CopyBodyAsync(HttpContext context, ProxyRoute route, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                // Each chunk goes out as it came: an SSE event must not wait for the next one.
                await context.Response.Body.FlushAsync(cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
        {
            if (!context.RequestAborted.IsCancellationRequested)
            {
                // The service broke off mid-body: cut the client's connection too, so it sees a truncated answer, not a complete one.
                LogBodyFailed(logger, route.Id, e.Message);
                metrics.ForwardFailed("aborted", route.Cluster.Id);
                context.Abort();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Sign(HttpContext context, HttpRequestMessage request)
    {
        if (context.Features.Get<CallerIdentity>() is { } identity)
        {
            signer.Sign(identity, request.Method.Method, request.RequestUri!.AbsolutePath, (name, value) => request.Headers.TryAddWithoutValidation(name, value));
        }
    }

    /// <summary>The route's limit replaces Kestrel's for this request; a declared length over it is refused before any byte is read.</summary>
    private static bool ApplyBodyLimit(HttpContext context, ProxyRoute route)
    {
        if (route.MaxRequestBodySize is not { } limit)
        {
            return true;
        }
        if (limit >= 0 && context.Request.ContentLength > limit)
        {
            return false;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit < 0 ? null : limit;
        }
        return true;
    }

    private static Uri Target(Uri destination, HttpRequest request, ProxyRoute route)
    {
        var path = request.Path;
        if (route.PathRemovePrefix is { } prefix && path.StartsWithSegments(prefix, out var rest))
        {
            path = rest;
        }
        var basePath = destination.AbsolutePath.TrimEnd('/');
        var pathText = path.HasValue ? path.ToUriComponent() : "/";
        return new Uri($"{destination.Scheme}://{destination.Authority}{basePath}{pathText}{request.QueryString.ToUriComponent()}");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Route {Route}: the service's body broke off: {Reason}")]
    private static partial void LogBodyFailed(ILogger logger, string route, string reason);
}
