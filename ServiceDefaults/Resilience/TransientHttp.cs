using System.Net;
using Polly.Timeout;

namespace AgentFleet.ServiceDefaults.Resilience;

/// <summary>What counts as a transient HTTP failure, and which requests may be sent again.</summary>
public static class TransientHttp
{
    public static bool IsTransient(HttpResponseMessage? response, Exception? exception) => exception switch
    {
        HttpRequestException or TimeoutRejectedException or AttemptTimeoutException => true,
        null => response is not null && IsTransient(response.StatusCode),
        _ => false,
    };

    public static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>RFC 9110 idempotent methods: sending one twice has the effect of sending it once.</summary>
    public static bool IsIdempotent(HttpMethod method) =>
        method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Options
        || method == HttpMethod.Put || method == HttpMethod.Delete || method == HttpMethod.Trace;

    /// <summary>A body that can be sent twice: none, or one held in memory.</summary>
    public static bool IsReplayable(HttpContent? content) => content is null or ByteArrayContent or ReadOnlyMemoryContent;

    /// <summary>The server's <c>Retry-After</c> (seconds or a date), if it sent one.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeProvider time)
    {
        var header = response?.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }
        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }
}

/// <summary>An attempt of a streaming call got no response headers in time.</summary>
public sealed class AttemptTimeoutException(TimeSpan timeout)
    : TimeoutException($"No response headers within {timeout.TotalSeconds:0.###} s.");
