using AgentFleet.ServiceDefaults.Problems;
using Microsoft.AspNetCore.Http;

namespace AgentFleet.ServiceDefaults.Streams;

/// <summary>
/// Where a resumable event stream starts: after the sequence in <c>Last-Event-ID</c> (a reconnecting EventSource,
/// which knows where it really is) or else <c>?since=</c>. The same rules on every stream endpoint: a negative
/// position is a 400, and one past the end (up to <see cref="long.MaxValue"/>) means "nothing I have not seen".
/// </summary>
public static class StreamPosition
{
    public static long After(HttpRequest request, long? since)
    {
        var header = request.Headers["Last-Event-ID"].ToString();
        long after;
        if (header.Length > 0)
        {
            if (!long.TryParse(header, out after) || after < 0)
            {
                throw Invalid($"Last-Event-ID must be an event's sequence number (0 or more), not '{Bounded.Echo(header)}'.");
            }
        }
        else
        {
            after = since ?? 0;
            if (after < 0)
            {
                throw Invalid($"since must be 0 or more, not {after}.");
            }
        }
        // The next sequence is after + 1: capped so that it never wraps round to the start.
        return Math.Min(after, long.MaxValue - 1);
    }

    private static ProblemException Invalid(string detail) =>
        new(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, "The stream position is not valid.", detail,
            "Pass the last sequence you received, or 0 for everything.");
}
