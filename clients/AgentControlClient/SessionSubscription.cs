using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentFleet.AgentControl;

/// <summary>
/// One session's transcript, followed by sequence number: every notice that it changed (and every reconnection) reads on
/// from the last event delivered, one read at a time, so each event reaches <see cref="_onEvent"/> once and in order.
/// </summary>
public sealed class SessionSubscription : IAsyncDisposable
{
    private const int PageSize = 500;

    private readonly AgentControlClient _client;
    private readonly Func<JsonObject, ValueTask> _onEvent;
    private readonly SemaphoreSlim _reading = new(1, 1);

    internal SessionSubscription(AgentControlClient client, Guid sessionId, long afterSequence, Func<JsonObject, ValueTask> onEvent)
    {
        _client = client;
        SessionId = sessionId;
        LastSequence = afterSequence;
        _onEvent = onEvent;
    }

    public Guid SessionId { get; }

    public string Uri => $"fleet://sessions/{SessionId}/messages";

    /// <summary>The sequence of the last event delivered.</summary>
    public long LastSequence { get; private set; }

    /// <summary>Delivers whatever is new since <see cref="LastSequence"/>.</summary>
    internal async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        await _reading.WaitAsync(cancellationToken);
        try
        {
            while (true)
            {
                var page = await _client.ReadTranscriptAsync($"{Uri}?since={LastSequence}&limit={PageSize}", cancellationToken);
                var events = page["events"]!.AsArray();
                foreach (var item in events)
                {
                    var sessionEvent = item!.AsObject();
                    var sequence = sessionEvent["sequence"]!.GetValue<long>();
                    if (sequence <= LastSequence)
                    {
                        continue;
                    }
                    await _onEvent(sessionEvent);
                    LastSequence = sequence;
                }
                if (events.Count < PageSize)
                {
                    return;
                }
            }
        }
        finally
        {
            _reading.Release();
        }
    }

    public ValueTask DisposeAsync() => _client.UnsubscribeAsync(this);
}
