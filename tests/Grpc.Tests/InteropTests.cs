using System.Text.Json;
using AgentFleet.Grpc.Tests.Echo;
using AgentFleet.Grpc.Tests.Fixtures;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace AgentFleet.Grpc.Tests;

/// <summary>Grpc.AspNetCore and Grpc.Net.Client, as the services use them, against @grpc/grpc-js in both directions.</summary>
public sealed class InteropTests(GrpcServerFixture server) : IClassFixture<GrpcServerFixture>
{
    [Fact]
    public async Task GrpcJsAsAClientGetsEveryAnswerRightFromOurServer()
    {
        await using var node = NodeInterop.Start("client", server.Address.ToString());
        using var seen = JsonDocument.Parse(await node.WaitForLineAsync(l => l.StartsWith('{'), TimeSpan.FromSeconds(60)));
        var root = seen.RootElement;

        var unary = root.GetProperty("unary");
        Assert.Equal(0, unary.GetProperty("code").GetInt32());
        Assert.Equal("héllo from node", unary.GetProperty("text").GetString());
        Assert.Equal([1, 2, 3], unary.GetProperty("payload").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("from-node", unary.GetProperty("echoed").GetString());
        Assert.Equal("bye from-node", unary.GetProperty("trailer").GetString());
        Assert.Equal([0, 1, 2, 3, 4], root.GetProperty("serverStream").GetProperty("indexes").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("a,b,c", root.GetProperty("clientStream").GetProperty("text").GetString());
        Assert.Equal(["d0", "d1", "d2"], root.GetProperty("duplex").GetProperty("texts").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(5, root.GetProperty("failure").GetProperty("code").GetInt32());
        Assert.Equal("no such session 100%", root.GetProperty("failure").GetProperty("details").GetString());
        Assert.Equal("yes", root.GetProperty("failure").GetProperty("failed").GetString());
        Assert.Equal(4, root.GetProperty("deadline").GetProperty("code").GetInt32());
        Assert.Equal(12, root.GetProperty("unimplemented").GetProperty("code").GetInt32());
        Assert.Equal(8, root.GetProperty("oversized").GetProperty("code").GetInt32());
        Assert.Equal(1, root.GetProperty("health").GetProperty("status").GetInt32()); // SERVING
    }

    [Fact]
    public async Task OurClientGetsEveryAnswerRightFromAGrpcJsServer()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = NodeInterop.Start("server");
        var port = int.Parse((await node.WaitForLineAsync(l => l.StartsWith("LISTENING "), TimeSpan.FromSeconds(30)))["LISTENING ".Length..]);
        var address = new Uri($"http://127.0.0.1:{port}");
        using var channel = GrpcChannel.ForAddress(address);
        var client = new EchoContract.EchoClient(channel);
        var options = new CallOptions(cancellationToken: ct);

        var reply = await client.UnaryAsync(new EchoRequest { Text = "héllo from .NET", Payload = ByteString.CopyFrom(new byte[3 * 1024 * 1024]) }, options);
        Assert.Equal("héllo from .NET", reply.Text);
        Assert.Equal(3 * 1024 * 1024, reply.Payload.Length);

        using (var call = client.UnaryAsync(new EchoRequest { Text = "meta" }, options.WithHeaders(new Metadata { { "x-echo", "dotnet" } })))
        {
            Assert.Equal("dotnet", (await call.ResponseHeadersAsync).GetValue("x-echoed"));
            Assert.Equal("meta", (await call.ResponseAsync).Text);
            Assert.Equal("bye dotnet", call.GetTrailers().GetValue("x-trailer"));
        }

        using (var stream = client.ServerStream(new EchoRequest { Text = "s", Repeat = 4 }, options))
        {
            Assert.Equal([0, 1, 2, 3], await stream.ResponseStream.ReadAllAsync(ct).Select(r => r.Index).ToListAsync(ct));
        }

        using (var upload = client.ClientStream(options))
        {
            foreach (var text in new[] { "x", "y" })
            {
                await upload.RequestStream.WriteAsync(new EchoRequest { Text = text }, ct);
            }
            await upload.RequestStream.CompleteAsync();
            Assert.Equal("x,y", (await upload.ResponseAsync).Text);
        }

        using (var duplex = client.Duplex(options))
        {
            await duplex.RequestStream.WriteAsync(new EchoRequest { Text = "ping" }, ct);
            Assert.True(await duplex.ResponseStream.MoveNext(ct));
            Assert.Equal("ping", duplex.ResponseStream.Current.Text);
            await duplex.RequestStream.CompleteAsync();
            Assert.False(await duplex.ResponseStream.MoveNext(ct));
        }

        var failure = await Assert.ThrowsAsync<RpcException>(() => client.UnaryAsync(new EchoRequest { FailWithCode = 7, FailMessage = "not yours ✋" }, options).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, failure.StatusCode);
        Assert.Equal("not yours ✋", failure.Status.Detail);
        Assert.Equal("yes", failure.Trailers.GetValue("x-failed"));

        var late = await Assert.ThrowsAsync<RpcException>(() => client.UnaryAsync(new EchoRequest { Text = "slow", DelayMs = 10_000 }, options.WithDeadline(DateTime.UtcNow.AddMilliseconds(300))).ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, late.StatusCode);
        await node.WaitForLineAsync(l => l == "CANCELLED slow", TimeSpan.FromSeconds(10));

        var oversized = await Assert.ThrowsAsync<RpcException>(() => new EchoContract.EchoClient(GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxSendMessageSize = 16 << 20 }))
            .UnaryAsync(new EchoRequest { Payload = ByteString.CopyFrom(new byte[5 << 20]) }, options).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, oversized.StatusCode);
    }
}
