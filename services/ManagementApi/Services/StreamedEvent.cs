using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgentFleet.ManagementApi.Model;
using AgentFleet.SessionRunner.Contracts;

namespace AgentFleet.ManagementApi.Services;

/// <summary>
/// A session event with its wire forms rendered once, however many clients it goes to: a hundred watchers
/// of one session share one JSON serialization per event rather than doing a hundred.
/// </summary>
public sealed class StreamedEvent(SessionEvent sessionEvent)
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    // Rendered on first use; two threads racing render the same bytes, so no lock is needed.
    private byte[]? _json;
    private byte[]? _sse;

    public SessionEvent Event => sessionEvent;

    public long Sequence => sessionEvent.Sequence;

    public bool EndsRun => sessionEvent.EndsRun;

    /// <summary>The event as clients read it (<see cref="EventView"/>), UTF-8 JSON: one WebSocket text frame.</summary>
    public byte[] Json => _json ??= JsonSerializer.SerializeToUtf8Bytes(EventView.From(sessionEvent), JsonOptions);

    /// <summary>The whole SSE frame: <c>id:</c> is the sequence, so a reconnect resumes with <c>Last-Event-ID</c>.</summary>
    public byte[] Sse => _sse ??= Frame();

    private byte[] Frame()
    {
        var head = Encoding.UTF8.GetBytes($"id: {sessionEvent.Sequence}\nevent: {EventView.StreamName(sessionEvent.Type)}\ndata: ");
        var json = Json;
        var frame = new byte[head.Length + json.Length + 2];
        head.CopyTo(frame, 0);
        json.CopyTo(frame, head.Length);
        frame[^2] = (byte)'\n';
        frame[^1] = (byte)'\n';
        return frame;
    }
}
