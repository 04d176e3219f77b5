using System.Text.Json.Nodes;

namespace AgentFleet.Testing;

/// <summary>One Server-Sent Event as a client parses it.</summary>
public sealed record SseEvent(string? Id, string Name, string Data)
{
    public JsonObject Json => JsonNode.Parse(Data)!.AsObject();
}

/// <summary>A plain SSE reader over HttpClient, as an EventSource reads the stream (comments are skipped), for tests.</summary>
public static class SseClient
{
    public static async IAsyncEnumerable<SseEvent> ReadAsync(HttpClient http, string path, string? lastEventId,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        string? id = null, name = null;
        var data = new List<string>();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count > 0)
                {
                    yield return new SseEvent(id, name ?? "message", string.Join('\n', data));
                }
                id = name = null;
                data.Clear();
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line[4..];
            else if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data.Add(line[6..]);
        }
    }

    /// <summary>Every event of the stream until the server ends it; gives up after <paramref name="timeout"/> (default 60 s).</summary>
    public static async Task<List<SseEvent>> ReadAllAsync(HttpClient http, string path, string? lastEventId, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout ?? TimeSpan.FromSeconds(60));
        var events = new List<SseEvent>();
        await foreach (var e in ReadAsync(http, path, lastEventId, limit.Token))
        {
            events.Add(e);
        }
        return events;
    }
}
