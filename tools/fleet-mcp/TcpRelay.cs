using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentFleet.Tools.FleetMcp;

/// <summary>stdio to the agent-control port: authenticate once, then copy bytes both ways (both sides speak lines).</summary>
public static class TcpRelay
{
    public static async Task<int> RunAsync(Uri fleet, string key, Stream stdin, Stream stdout, CancellationToken cancellationToken)
    {
        using var socket = new TcpClient { NoDelay = true };
        try
        {
            await socket.ConnectAsync(fleet.Host, fleet.IsDefaultPort ? 9500 : fleet.Port, cancellationToken);
        }
        catch (SocketException e)
        {
            throw new RelayException($"cannot reach {fleet.Host}:{fleet.Port}: {e.Message}");
        }
        var stream = socket.GetStream();
        var authenticate = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 0, ["method"] = "authenticate", ["params"] = new JsonObject { ["apiKey"] = key } };
        await stream.WriteAsync(Encoding.UTF8.GetBytes(authenticate.ToJsonString() + "\n"), cancellationToken);
        var answer = JsonNode.Parse(await ReadLineAsync(stream, cancellationToken) ?? throw new RelayException("the port closed the connection."));
        if (answer?["error"]?["message"]?.GetValue<string>() is { } refused)
        {
            throw new RelayException($"the fleet refused the key: {refused}");
        }
        // Whichever side ends first ends the relay: the client closing stdin, or the fleet closing the connection.
        var up = Task.Run(async () =>
        {
            await stdin.CopyToAsync(stream, cancellationToken);
            socket.Client.Shutdown(SocketShutdown.Send);
        }, cancellationToken);
        var down = stream.CopyToAsync(stdout, cancellationToken);
        await Task.WhenAny(up, down);
        await down.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        return 0;
    }

    // Byte by byte: nothing past the authenticate answer is taken from what the relay copies next.
    private static async Task<string?> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (await stream.ReadAsync(one, cancellationToken) == 1)
        {
            if (one[0] == (byte)'\n')
            {
                return Encoding.UTF8.GetString([.. line]);
            }
            line.Add(one[0]);
        }
        return null;
    }
}
