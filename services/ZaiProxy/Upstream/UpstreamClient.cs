using System.Net.Http.Headers;
using AgentFleet.ZaiProxy.Options;
using AgentFleet.ZaiProxy.Telemetry;
using Microsoft.Extensions.Options;
using Polly;

namespace AgentFleet.ZaiProxy.Upstream;

/// <summary>
/// Sends a Messages API call upstream with the proxy's own key, through <see cref="UpstreamPipeline"/> (retries and the
/// circuit breaker). While the circuit is open, calls fail with Polly's <c>BrokenCircuitException</c>.
/// </summary>
public sealed class UpstreamClient(HttpClient http, IOptions<UpstreamOptions> options, ProxyMetrics metrics, TimeProvider time, ILogger<UpstreamClient> logger)
{
    /// <summary>Request headers an Anthropic client sends that mean something to the upstream; nothing else is passed on.</summary>
    private static readonly string[] ForwardedHeaders = ["anthropic-version", "anthropic-beta", "anthropic-dangerous-direct-browser-access"];

    private readonly UpstreamOptions _options = options.Value;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline = UpstreamPipeline.Build(options.Value, time, logger);

    /// <summary>The response with its headers read; its body (streamed or not) is the caller's to read and dispose.</summary>
    public async Task<HttpResponseMessage> SendAsync(string path, byte[] body, IHeaderDictionary incoming, CancellationToken cancellationToken) =>
        await _pipeline.ExecuteAsync(async token =>
        {
            var started = time.GetTimestamp();
            try
            {
                var response = await http.SendAsync(Build(path, body, incoming), HttpCompletionOption.ResponseHeadersRead, token);
                metrics.UpstreamCall(time.GetElapsedTime(started), ((int)response.StatusCode).ToString());
                return response;
            }
            catch (HttpRequestException) when (!token.IsCancellationRequested)
            {
                metrics.UpstreamCall(time.GetElapsedTime(started), "connect_error");
                throw;
            }
        }, cancellationToken);

    private HttpRequestMessage Build(string path, byte[] body, IHeaderDictionary incoming)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _options.BaseUrl.TrimEnd('/') + path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var name in ForwardedHeaders)
        {
            if (incoming.TryGetValue(name, out var value))
            {
                request.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)value!);
            }
        }
        if (!request.Headers.Contains("anthropic-version"))
        {
            request.Headers.TryAddWithoutValidation("anthropic-version", "2023-06-01");
        }
        if (string.Equals(_options.AuthHeader, "authorization", StringComparison.OrdinalIgnoreCase))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
        }
        else
        {
            request.Headers.TryAddWithoutValidation(_options.AuthHeader, _options.ApiKey);
        }
        return request;
    }
}
