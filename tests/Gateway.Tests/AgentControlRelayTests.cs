using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using AgentFleet.Gateway.Tests.Fixtures;
using AgentFleet.Testing;

namespace AgentFleet.Gateway.Tests;

/// <summary>The agent-control port at the gateway: relayed to ManagementApi's, with the gateway's limit on connections.</summary>
public sealed class AgentControlRelayTests(GatewayFixture fleet)
{
    [Fact]
    public async Task AClientAuthenticatesAndUsesTheToolsThroughTheGatewaysPort()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = PortAllocator.GetFreePort();
        await using var gateway = await fleet.StartGatewayAsync(new() { ["Gateway__AgentControlPort"] = port.ToString() }, ct);
        using var socket = new TcpClient();
        await socket.ConnectAsync("127.0.0.1", port, ct);
        using var reader = new StreamReader(socket.GetStream(), Encoding.UTF8);

        var early = await AskAsync(socket, reader, """{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", ct);
        Assert.Equal(-32001, early["error"]!["code"]!.GetValue<int>());
        var authenticated = await AskAsync(socket, reader, $$$"""{"jsonrpc":"2.0","id":2,"method":"authenticate","params":{"apiKey":"{{{GatewayFixture.AdminKey}}}"}}""", ct);
        Assert.Equal("admin", authenticated["result"]!["role"]!.GetValue<string>());
        await AskAsync(socket, reader, """{"jsonrpc":"2.0","id":3,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"relay","version":"1"}}}""", ct);
        var tools = await AskAsync(socket, reader, """{"jsonrpc":"2.0","id":4,"method":"tools/list"}""", ct);
        Assert.Contains(tools["result"]!["tools"]!.AsArray(), t => t!["name"]!.GetValue<string>() == "create_session");
    }

    [Fact]
    public async Task AClientConnectingTooOftenIsToldSo()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = PortAllocator.GetFreePort();
        await using var gateway = await fleet.StartGatewayAsync(new()
        {
            ["Gateway__AgentControlPort"] = port.ToString(),
            ["Gateway__AgentControl__ConnectionsPerMinute"] = "2",
        }, ct);
        var kept = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var allowed = new TcpClient();
                await allowed.ConnectAsync("127.0.0.1", port, ct);
                kept.Add(allowed);
            }
            using var third = new TcpClient();
            await third.ConnectAsync("127.0.0.1", port, ct);
            using var reader = new StreamReader(third.GetStream(), Encoding.UTF8);
            var notice = JsonNode.Parse((await reader.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct))!)!;
            Assert.Equal("notifications/fleet/closing", notice["method"]!.GetValue<string>());
            Assert.Contains("Too many connections", notice["params"]!["reason"]!.GetValue<string>());
            Assert.Null(await reader.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct));
        }
        finally
        {
            kept.ForEach(c => c.Dispose());
        }
    }

    private static async Task<JsonObject> AskAsync(TcpClient socket, StreamReader reader, string message, CancellationToken cancellationToken)
    {
        await socket.GetStream().WriteAsync(Encoding.UTF8.GetBytes(message + "\n"), cancellationToken);
        var line = await reader.ReadLineAsync(cancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        return JsonNode.Parse(line ?? throw new IOException("The connection closed."))!.AsObject();
    }
}
