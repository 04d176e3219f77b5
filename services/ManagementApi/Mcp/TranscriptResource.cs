using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentFleet.ManagementApi.Apis;
using AgentFleet.ManagementApi.Mcp.AgentControl;
using AgentFleet.ManagementApi.Services;
using AgentFleet.ServiceDefaults.Problems;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace AgentFleet.ManagementApi.Mcp;

/// <summary>
/// A session's transcript as a resource, <c>fleet://sessions/{id}/messages</c>: reading it gives its events (JSON, as
/// <c>GET /v1/sessions/{id}/messages</c> does), from <c>?since=</c> on. A subscriber is told
/// (<c>notifications/resources/updated</c>) each time new events are in, and reads on from the last sequence it has:
/// nothing is missed or read twice, whatever happens to the notices. Subscriptions need a lasting connection (the
/// agent-control port); over stateless Streamable HTTP a client reads with since instead.
/// </summary>
public static partial class TranscriptResource
{
    public const string UriTemplate = "fleet://sessions/{sessionId}/messages{?since,limit}";

    public static ValueTask<ListResourceTemplatesResult> ListTemplates(RequestContext<ListResourceTemplatesRequestParams> request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new ListResourceTemplatesResult
        {
            ResourceTemplates =
            [
                new ResourceTemplate
                {
                    Name = "session_messages",
                    Title = "A session's transcript",
                    UriTemplate = UriTemplate,
                    Description = "The session's events in order (text, tool calls and results, usage, status), from since on; subscribe to be told of new ones.",
                    MimeType = "application/json",
                },
            ],
        });

    public static async ValueTask<ReadResourceResult> Read(RequestContext<ReadResourceRequestParams> request, CancellationToken cancellationToken)
    {
        var (sessionId, since, limit) = Parse(request.Params?.Uri);
        var services = Services(request);
        var page = await Call(() => SessionsApi.GetMessages(sessionId, services.For(McpCaller.From(request.User)), since, limit, false, cancellationToken));
        return new ReadResourceResult
        {
            Contents = [new TextResourceContents { Uri = request.Params!.Uri, MimeType = "application/json", Text = JsonSerializer.Serialize(page.Value, ToolResults.Json) }],
        };
    }

    public static async ValueTask<EmptyResult> Subscribe(RequestContext<SubscribeRequestParams> request, CancellationToken cancellationToken)
    {
        var uri = request.Params?.Uri;
        var (sessionId, _, _) = Parse(uri);
        if (request.Items.TryGetValue(AgentControlConnection.ItemKey, out var item) is false || item is not AgentControlConnection connection)
        {
            throw new McpProtocolException(
                "Subscriptions need a lasting connection: use the agent-control port, or read this resource again with ?since= the last sequence you have.",
                McpErrorCode.InvalidRequest);
        }
        var services = Services(request);
        var view = (await Call(() => SessionsApi.GetSession(sessionId, services.For(McpCaller.From(request.User)), cancellationToken))).Value!;
        var streamer = request.Services!.GetRequiredService<SessionStreamer>();
        var server = request.Server;
        connection.Subscribe(uri!, token => streamer.StreamAsync(view.SessionId, view.LastSequence, new UpdateNotices(server, uri!, token), token));
        return new EmptyResult();
    }

    public static ValueTask<EmptyResult> Unsubscribe(RequestContext<UnsubscribeRequestParams> request, CancellationToken cancellationToken)
    {
        if (request.Items.TryGetValue(AgentControlConnection.ItemKey, out var item) && item is AgentControlConnection connection && request.Params?.Uri is { } uri)
        {
            connection.Unsubscribe(uri);
        }
        return ValueTask.FromResult(new EmptyResult());
    }

    private static McpSessionServices Services(MessageContext request) => request.Services!.GetRequiredService<McpSessionServices>();

    /// <summary>The REST handler's refusal, as MCP says it for a resource: not found (-32002), or invalid params.</summary>
    private static async Task<T> Call<T>(Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (ProblemException e) when (e.Status == StatusCodes.Status404NotFound)
        {
            throw new McpProtocolException($"{e.Title} {e.Detail}", McpErrorCode.ResourceNotFound);
        }
        catch (ProblemException e) when (e.Status == StatusCodes.Status400BadRequest)
        {
            throw new McpProtocolException($"{e.Title} {e.Detail}", McpErrorCode.InvalidParams);
        }
    }

    private static (string SessionId, long? Since, int? Limit) Parse(string? uri)
    {
        var match = uri is null ? null : TranscriptUri().Match(uri);
        if (match is not { Success: true })
        {
            throw new McpProtocolException($"'{Bounded.Echo(uri ?? "")}' is not a transcript: fleet://sessions/{{id}}/messages[?since=N&limit=M].", McpErrorCode.InvalidParams);
        }
        long? since = null;
        int? limit = null;
        foreach (var pair in match.Groups["query"].Value.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = pair.Split('=', 2) is [var n, var v] ? (n, v) : (pair, "");
            switch (name)
            {
                case "since" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var s):
                    since = s;
                    break;
                case "limit" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var l):
                    limit = l;
                    break;
                default:
                    throw new McpProtocolException($"'{Bounded.Echo(pair)}': the query takes since and limit, as whole numbers.", McpErrorCode.InvalidParams);
            }
        }
        return (match.Groups["id"].Value, since, limit);
    }

    [GeneratedRegex(@"^fleet://sessions/(?<id>[^/?#]+)/messages(\?(?<query>[^#]*))?$")]
    private static partial Regex TranscriptUri();

    /// <summary>One <c>notifications/resources/updated</c> for each run of events that arrived together.</summary>
    private sealed class UpdateNotices(McpServer server, string uri, CancellationToken cancellationToken) : ISessionStreamSink
    {
        private bool _pending;

        public ValueTask WriteEventAsync(StreamedEvent streamedEvent)
        {
            _pending = true;
            return ValueTask.CompletedTask;
        }

        public ValueTask WriteNoticeAsync(StreamNotice notice) => ValueTask.CompletedTask;

        public async ValueTask FlushAsync()
        {
            if (_pending)
            {
                _pending = false;
                await server.SendNotificationAsync(NotificationMethods.ResourceUpdatedNotification, new ResourceUpdatedNotificationParams { Uri = uri },
                    McpJsonUtilities.DefaultOptions, cancellationToken);
            }
        }
    }
}
