using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AgentFleet.ServiceDefaults.Telemetry;

/// <summary>
/// ASP.NET Core starts a span per request but leaves it bare; the instrumentation package that would fill
/// it in is not in the feed. This first middleware adds the HTTP semantic-convention attributes and names
/// the span <c>{method} {route}</c>, as that package does.
/// </summary>
internal sealed class HttpServerSpanEnricher : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(static async (context, nextMiddleware) =>
        {
            var activity = Activity.Current;
            if (activity is null || !activity.IsAllDataRequested || activity.Kind != ActivityKind.Server)
            {
                await nextMiddleware(context);
                return;
            }
            var request = context.Request;
            activity.SetTag("http.request.method", request.Method);
            activity.SetTag("url.scheme", request.Scheme);
            activity.SetTag("url.path", request.Path.Value);
            activity.SetTag("server.address", request.Host.Host);
            activity.SetTag("server.port", request.Host.Port);
            activity.SetTag("network.protocol.version", request.Protocol.Replace("HTTP/", "", StringComparison.Ordinal));
            activity.SetTag("user_agent.original", request.Headers.UserAgent.ToString());
            try
            {
                await nextMiddleware(context);
            }
            catch (Exception ex)
            {
                activity.SetTag("error.type", ex.GetType().FullName);
                activity.SetStatus(ActivityStatusCode.Error);
                throw;
            }
            finally
            {
                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
                if (activity.GetTagItem("rpc.system") is not null)
                {
                    // A gRPC call: the gRPC server has named the span package.Service/Method.
                    activity.SetTag("http.route", route);
                }
                else if (route is not null)
                {
                    activity.SetTag("http.route", route);
                    activity.DisplayName = $"{request.Method} {route}";
                }
                else
                {
                    activity.DisplayName = request.Method;
                }
                var status = context.Response.StatusCode;
                activity.SetTag("http.response.status_code", status);
                if (status >= 500)
                {
                    activity.SetTag("error.type", status.ToString());
                    activity.SetStatus(ActivityStatusCode.Error);
                }
            }
        });
        next(app);
    };
}
