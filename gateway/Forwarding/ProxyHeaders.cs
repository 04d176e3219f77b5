using System.Net.Http.Headers;
using AgentFleet.ServiceDefaults.Security;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace AgentFleet.Gateway.Forwarding;

/// <summary>Which headers cross the gateway, in each direction.</summary>
public static class ProxyHeaders
{
    // RFC 9110 §7.6.1: these describe one connection, not the message; plus what the gateway owns or consumes.
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        HeaderNames.Connection, "Keep-Alive", "Proxy-Connection", HeaderNames.ProxyAuthenticate, HeaderNames.ProxyAuthorization,
        HeaderNames.TE, HeaderNames.Trailer, HeaderNames.TransferEncoding, HeaderNames.Upgrade,
    };

    // The caller's key stays at the gateway (services get the signed identity instead); Host becomes the service's;
    // X-Forwarded-* are set afresh, because what a client claims about its own address is not to be trusted.
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        HeaderNames.Host, HeaderNames.Authorization, "X-API-Key", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded",
    };

    public static void CopyRequestHeaders(HttpContext context, HttpRequestMessage request)
    {
        var connectionListed = ConnectionListed(context.Request.Headers.Connection);
        foreach (var (name, values) in context.Request.Headers)
        {
            if (HopByHop.Contains(name) || NotForwarded.Contains(name) || name.StartsWith(IdentityHeaders.Prefix, StringComparison.OrdinalIgnoreCase)
                || name.StartsWith(':') || connectionListed?.Contains(name) == true)
            {
                continue;
            }
            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
        var http = context.Request;
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", context.Connection.RemoteIpAddress?.ToString());
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", http.Scheme);
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", http.Host.Value);
    }

    public static void CopyResponseHeaders(HttpResponseMessage response, HttpResponse target)
    {
        var connectionListed = ConnectionListed(response.Headers.Connection);
        Copy(response.Headers);
        Copy(response.Content.Headers);

        void Copy(HttpHeaders headers)
        {
            foreach (var (name, values) in headers.NonValidated)
            {
                if (HopByHop.Contains(name) || connectionListed?.Contains(name) == true)
                {
                    continue;
                }
                target.Headers[name] = values.Count == 1 ? new StringValues(values.ToString()) : new StringValues([.. values]);
            }
        }
    }

    private static HashSet<string>? ConnectionListed(IEnumerable<string?> connection)
    {
        HashSet<string>? listed = null;
        foreach (var value in connection)
        {
            foreach (var token in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                (listed ??= new HashSet<string>(StringComparer.OrdinalIgnoreCase)).Add(token);
            }
        }
        return listed;
    }
}
