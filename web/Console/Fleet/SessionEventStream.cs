using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentFleet.Console.Fleet;

/// <summary>
/// A session's events from the gateway's SSE stream (history, then live), as the page shows them. A dropped stream is
/// opened again from the last sequence received, so the view goes on without a gap or a repeat; it ends when the
/// session's run does.
/// </summary>
public static class SessionEventStream
{
    public static async IAsyncEnumerable<JsonObject> ReadAsync(FleetApi api, Guid sessionId, long after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var last = after;
        var delay = TimeSpan.FromMilliseconds(500);
        while (!cancellationToken.IsCancellationRequested)
        {
            var ended = false;
            HttpResponseMessage? response = null;
            try
            {
                response = await api.OpenAsync($"/v1/sessions/{sessionId}/events?since={last}", null, cancellationToken);
            }
            catch (FleetApiException e) when (e.Status >= 500)
            {
                // The fleet is away for a moment: try again, from where the view is.
            }
            if (response is not null)
            {
                using (response)
                {
                    var events = ReadEventsAsync(response, cancellationToken).GetAsyncEnumerator(cancellationToken);
                    while (true)
                    {
                        JsonObject? next;
                        try
                        {
                            if (!await events.MoveNextAsync())
                            {
                                ended = true;
                                break;
                            }
                            next = events.Current;
                        }
                        catch (Exception e) when (e is IOException or HttpRequestException)
                        {
                            break;
                        }
                        var sequence = next["sequence"]?.GetValue<long>() ?? 0;
                        if (sequence <= last)
                        {
                            continue;
                        }
                        last = sequence;
                        delay = TimeSpan.FromMilliseconds(500);
                        yield return next;
                    }
                    await events.DisposeAsync();
                }
            }
            if (ended)
            {
                yield break;
            }
            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
        }
    }

    /// <summary>Each <c>data:</c> of an <c>agent:*</c> event is one event as <c>/messages</c> gives it.</summary>
    private static async IAsyncEnumerable<JsonObject> ReadEventsAsync(HttpResponseMessage response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
        string? name = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                name = line[6..].Trim();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Append(line.AsSpan(line.StartsWith("data: ", StringComparison.Ordinal) ? 6 : 5));
            }
            else if (line.Length == 0)
            {
                if (name?.StartsWith("agent:", StringComparison.Ordinal) == true && data.Length > 0 && JsonNode.Parse(data.ToString()) is JsonObject sessionEvent)
                {
                    yield return sessionEvent;
                }
                name = null;
                data.Clear();
            }
        }
    }
}
