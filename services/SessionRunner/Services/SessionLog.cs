namespace AgentFleet.SessionRunner.Services;

/// <summary>The raw agent log: its tail for GetSession, and reading (and following) it for ReadLog.</summary>
public static class SessionLog
{
    private const int ChunkSize = 64 * 1024;

    public static List<string> Tail(string path, int lines = 20)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        // The last 16 KiB hold the last lines of any sensible log; a partial first line is dropped.
        var start = Math.Max(0, stream.Length - 16 * 1024);
        stream.Position = start;
        var text = new StreamReader(stream).ReadToEnd();
        var all = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return [.. all.Skip(start > 0 ? 1 : 0).TakeLast(lines)];
    }

    public static async Task StreamAsync(AgentSession session, long offset, bool follow, Func<byte[], long, Task> send, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkSize];
        var position = Math.Max(0, offset);
        while (true)
        {
            var ended = !follow || Model.SessionStatus.IsTerminal(session.Meta.Status);
            if (File.Exists(session.LogPath))
            {
                await using var stream = new FileStream(session.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                stream.Position = Math.Min(position, stream.Length);
                int read;
                while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    await send(buffer[..read], position);
                    position += read;
                }
            }
            // Checked before the last read, so output written just before the end is still sent.
            if (ended)
            {
                return;
            }
            await Task.Delay(200, cancellationToken);
        }
    }
}
