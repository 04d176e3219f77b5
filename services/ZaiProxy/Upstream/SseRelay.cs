using System.Buffers;
using AgentFleet.ZaiProxy.Accounting;

namespace AgentFleet.ZaiProxy.Upstream;

/// <summary>
/// Passes a streamed reply on event by event: whatever complete events a read brings are written and flushed at
/// once, and only a partial event waits for its end, so the caller never receives half an event. A stream that
/// breaks off, ends before <c>message_stop</c>, or goes quiet for too long ends with an <c>error</c> event, never a hang.
/// </summary>
public static class SseRelay
{
    /// <param name="onComplete">Called once the tally has the reply's end, before the events that end it reach the client.</param>
    public static async Task RelayAsync(Stream upstream, Stream client, UsageTally usage, TimeSpan idleTimeout, Func<ValueTask> onComplete, CancellationToken aborted)
    {
        var completed = false;
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var pending = new byte[16 * 1024];
        var pendingLength = 0;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        try
        {
            while (true)
            {
                idle.CancelAfter(idleTimeout);
                var read = await upstream.ReadAsync(buffer, idle.Token);
                if (read == 0)
                {
                    if (!usage.Completed)
                    {
                        await FailAsync(client, 502, "The upstream stream ended before the reply was complete.", aborted);
                    }
                    return;
                }
                if (pendingLength + read > pending.Length)
                {
                    Array.Resize(ref pending, Math.Max(pending.Length * 2, pendingLength + read));
                }
                buffer.AsSpan(0, read).CopyTo(pending.AsSpan(pendingLength));
                pendingLength += read;

                var complete = CompleteEventsLength(pending.AsSpan(0, pendingLength), usage);
                if (complete > 0)
                {
                    if (usage.Completed && !completed)
                    {
                        completed = true;
                        await onComplete();
                    }
                    await client.WriteAsync(pending.AsMemory(0, complete), aborted);
                    await client.FlushAsync(aborted);
                    pending.AsSpan(complete, pendingLength - complete).CopyTo(pending);
                    pendingLength -= complete;
                }
            }
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            await FailAsync(client, 504, $"The upstream sent nothing for {idleTimeout.TotalSeconds:0} s.", aborted);
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !aborted.IsCancellationRequested)
        {
            await FailAsync(client, 502, "The upstream connection broke off mid-reply.", aborted);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The length of the leading run of whole events (each ends with a blank line), telling the tally about each.</summary>
    private static int CompleteEventsLength(ReadOnlySpan<byte> data, UsageTally usage)
    {
        var start = 0;
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] != '\n')
            {
                continue;
            }
            var end = i + 1 < data.Length && data[i + 1] == '\n' ? i + 2
                : i + 2 < data.Length && data[i + 1] == '\r' && data[i + 2] == '\n' ? i + 3
                : -1;
            if (end < 0)
            {
                continue;
            }
            usage.ObserveEvent(DataOf(data[start..end]));
            start = end;
            i = end - 1;
        }
        return start;
    }

    private static ReadOnlySpan<byte> DataOf(ReadOnlySpan<byte> sseEvent)
    {
        var at = sseEvent.IndexOf("data:"u8);
        if (at < 0)
        {
            return [];
        }
        var data = sseEvent[(at + 5)..];
        var end = data.IndexOf((byte)'\n');
        return (end < 0 ? data : data[..end]).Trim((byte)' ').TrimEnd((byte)'\r');
    }

    private static async Task FailAsync(Stream client, int status, string message, CancellationToken aborted)
    {
        try
        {
            await client.WriteAsync(AnthropicErrors.StreamEvent(status, message), aborted);
            await client.FlushAsync(aborted);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
        }
    }
}
