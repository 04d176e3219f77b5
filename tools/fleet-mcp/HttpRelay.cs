using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentFleet.Tools.FleetMcp;

/// <summary>
/// stdio to Streamable HTTP: each line from stdin is POSTed to <c>/mcp</c> with the key; the answer, plain JSON or a
/// stream of Server-Sent Events (progress, then the result), goes to stdout a line per message. Requests run side by
/// side, so a long <c>wait_for_session</c> holds up nothing else.
/// </summary>
public static class HttpRelay
{
    public static async Task<int> RunAsync(Uri fleet, string key, Stream stdin, Stream stdout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = new Uri(fleet, "/mcp"), Timeout = Timeout.InfiniteTimeSpan };
        var output = new LineWriter(stdout);
        var session = new SessionHeaders();
        var inFlight = new List<Task>();
        using var reader = new StreamReader(stdin, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Trim().Length > 0)
            {
                inFlight.RemoveAll(t => t.IsCompleted);
                inFlight.Add(PostAsync(http, key, line, session, output, cancellationToken));
            }
        }
        await Task.WhenAll(inFlight);
        return 0;
    }

    private static async Task PostAsync(HttpClient http, string key, string line, SessionHeaders session, LineWriter output, CancellationToken cancellationToken)
    {
        JsonNode? message = null;
        try
        {
            message = JsonNode.Parse(line);
        }
        catch (System.Text.Json.JsonException)
        {
            // The server answers malformed JSON itself (-32700): relay it as it came.
        }
        var id = (message as JsonObject)?["id"]?.DeepClone();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "") { Content = new StringContent(line, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            request.Headers.Accept.ParseAdd("application/json");
            request.Headers.Accept.ParseAdd("text/event-stream");
            session.Apply(request, message as JsonObject);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            session.Learn(response);
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (id is not null && !IsJsonRpc(body))
                {
                    await output.WriteAsync(Error(id, $"The fleet answered HTTP {(int)response.StatusCode}: {body}"), cancellationToken);
                    return;
                }
                await output.WriteAsync(body, cancellationToken);
                return;
            }
            if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
            {
                await RelayEventsAsync(response, session, output, cancellationToken);
            }
            else if (await response.Content.ReadAsStringAsync(cancellationToken) is { Length: > 0 } json)
            {
                session.Observe(json);
                await output.WriteAsync(json, cancellationToken);
            }
        }
        catch (HttpRequestException e) when (id is not null)
        {
            await output.WriteAsync(Error(id, $"The fleet cannot be reached: {e.Message}"), cancellationToken);
        }
    }

    /// <summary>Each event's data is one JSON-RPC message.</summary>
    private static async Task RelayEventsAsync(HttpResponseMessage response, SessionHeaders session, LineWriter output, CancellationToken cancellationToken)
    {
        using var events = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
        var data = new StringBuilder();
        while (await events.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Append(line.AsSpan(line.StartsWith("data: ", StringComparison.Ordinal) ? 6 : 5));
            }
            else if (line.Length == 0 && data.Length > 0)
            {
                var json = data.ToString();
                data.Clear();
                session.Observe(json);
                await output.WriteAsync(json, cancellationToken);
            }
        }
    }

    private static bool IsJsonRpc(string body) => body.TrimStart().StartsWith('{') && body.Contains("\"jsonrpc\"", StringComparison.Ordinal);

    private static string Error(JsonNode id, string text) =>
        new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["error"] = new JsonObject { ["code"] = -32603, ["message"] = text } }.ToJsonString();

    /// <summary>What Streamable HTTP carries in headers: the session (if the server keeps one), the protocol version, and what each request is.</summary>
    private sealed class SessionHeaders
    {
        private volatile string? _sessionId;
        private volatile string? _protocolVersion;

        public void Apply(HttpRequestMessage request, JsonObject? message)
        {
            if (_sessionId is { } sessionId)
            {
                request.Headers.Add("Mcp-Session-Id", sessionId);
            }
            if (_protocolVersion is { } version)
            {
                request.Headers.Add("MCP-Protocol-Version", version);
            }
            if (message?["method"]?.GetValue<string>() is { } method)
            {
                request.Headers.Add("Mcp-Method", method);
                if ((message["params"]?["name"] ?? message["params"]?["uri"])?.GetValue<string>() is { } name)
                {
                    request.Headers.Add("Mcp-Name", name);
                }
            }
        }

        public void Learn(HttpResponseMessage response)
        {
            if (response.Headers.TryGetValues("Mcp-Session-Id", out var values))
            {
                _sessionId = values.First();
            }
        }

        /// <summary>The version the initialize answer settles on goes on every later request.</summary>
        public void Observe(string json)
        {
            if (json.Contains("\"protocolVersion\"", StringComparison.Ordinal)
                && JsonNode.Parse(json)?["result"]?["protocolVersion"]?.GetValue<string>() is { } version)
            {
                _protocolVersion = version;
            }
        }
    }

    /// <summary>stdout, a whole line at a time, whichever request's answer comes first.</summary>
    private sealed class LineWriter(Stream stdout)
    {
        private readonly SemaphoreSlim _gate = new(1, 1);

        public async Task WriteAsync(string json, CancellationToken cancellationToken)
        {
            await _gate.WaitAsync(cancellationToken);
            try
            {
                await stdout.WriteAsync(Encoding.UTF8.GetBytes(json.ReplaceLineEndings(" ").Trim() + "\n"), cancellationToken);
                await stdout.FlushAsync(cancellationToken);
            }
            finally
            {
                _gate.Release();
            }
        }
    }
}
