using AgentFleet.Gateway.Configuration;
using AgentFleet.Gateway.Telemetry;
using AgentFleet.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace AgentFleet.Gateway.Forwarding;

/// <summary>
/// What the client hears when a forward fails before the service answered: 413 for a body over the route's limit,
/// 504 when the service stayed silent past the route's timeout, 502 when it could not be reached; nothing when the
/// client itself left. Once a response has begun there is no status to send, so the connection is cut instead.
/// YARP's forwarder says which of these happened (<see cref="ForwarderError"/>).
/// </summary>
public sealed partial class ForwardingFailures(IProblemDetailsService problems, GatewayMetrics metrics, ILogger<ForwardingFailures> logger)
{
    /// <summary>After YARP's forwarder reported <paramref name="error"/>.</summary>
    public async Task ForwardFailedAsync(HttpContext context, ProxyRoute route, Uri? destination, ForwarderError error, Exception? e)
    {
        if (context.RequestAborted.IsCancellationRequested || error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled
            or ForwarderError.ResponseBodyCanceled or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeResponseCanceled)
        {
            return;
        }
        if (FindTooLarge(e) is not null)
        {
            await BodyTooLargeAsync(context, route);
        }
        else if (context.Response.HasStarted)
        {
            // The service broke off mid-body: the client's connection is cut too, so it sees a truncated answer, not a complete one.
            LogBodyFailed(logger, route.Id, error, e?.Message);
            metrics.ForwardFailed("aborted", route.Cluster.Id);
            context.Abort();
        }
        else if (error is ForwarderError.RequestTimedOut or ForwarderError.UpgradeActivityTimeout)
        {
            await FailAsync(context, route, StatusCodes.Status504GatewayTimeout, ProblemCodes.Timeout, "The service did not answer in time.",
                $"{route.Cluster.Id} did not answer within {route.Timeout.TotalSeconds:0.#} s.", "timeout");
        }
        else
        {
            LogConnectFailed(logger, route.Cluster.Id, destination, error, e?.Message);
            await FailAsync(context, route, StatusCodes.Status502BadGateway, ProblemCodes.BadGateway, "The service is unreachable.",
                $"{route.Cluster.Id} could not be reached.", "connect");
        }
    }

    /// <summary>413 for a body over the route's limit (or Kestrel's, where the route sets none).</summary>
    public Task BodyTooLargeAsync(HttpContext context, ProxyRoute route) =>
        FailAsync(context, route, StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "The request body is too large.",
            $"This route accepts at most {route.MaxRequestBodySize ?? context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes.", "body_too_large");

    private async Task FailAsync(HttpContext context, ProxyRoute route, int status, string code, string title, string detail, string kind)
    {
        metrics.ForwardFailed(kind, route.Cluster.Id);
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }
        context.Response.Clear();
        await problems.WriteProblemAsync(context, status, code, title, detail);
    }

    private static BadHttpRequestException? FindTooLarge(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } tooLarge)
            {
                return tooLarge;
            }
        }
        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding to {Cluster} ({Destination}) failed: {Error} {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, string cluster, Uri? destination, ForwarderError error, string? reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Route {Route}: the forward broke off mid-body: {Error} {Reason}")]
    private static partial void LogBodyFailed(ILogger logger, string route, ForwarderError error, string? reason);
}
