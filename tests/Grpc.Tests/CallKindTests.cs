using AgentFleet.Grpc.Client;
using AgentFleet.Grpc.Tests.Echo;
using AgentFleet.Grpc.Tests.Fixtures;
using Google.Protobuf;

namespace AgentFleet.Grpc.Tests;

public sealed class CallKindTests(GrpcServerFixture server) : IClassFixture<GrpcServerFixture>
{
    [Fact]
    public async Task AUnaryCallReturnsTheReply()
    {
        var ct = TestContext.Current.CancellationToken;

        var reply = await server.Client.UnaryAsync(new EchoRequest { Text = "héllo 🌍", Payload = ByteString.CopyFromUtf8("p") }, new CallOptions(CancellationToken: ct));

        Assert.Equal("héllo 🌍", reply.Text);
        Assert.Equal("p", reply.Payload.ToStringUtf8());
    }

    [Fact]
    public async Task MetadataTravelsBothWaysIncludingBinaryValues()
    {
        var ct = TestContext.Current.CancellationToken;
        var headers = new Metadata { { "x-echo", "hello" } };
        headers.Add("x-raw-bin", new byte[] { 0, 1, 2, 255 });

        // A unary method called through the streaming shape: same bytes on the wire, and headers and trailers in reach.
        using var call = server.Channel.ServerStreaming(EchoGrpc.Unary, new EchoRequest { Text = "meta" }, new CallOptions(headers, CancellationToken: ct));
        var responseHeaders = await call.ResponseHeadersAsync;
        Assert.True(await call.ResponseStream.MoveNext(ct));
        Assert.False(await call.ResponseStream.MoveNext(ct));

        Assert.Equal("hello", responseHeaders.GetValue("x-echoed"));
        Assert.Equal("bye hello", call.GetTrailers().GetValue("x-trailer"));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, call.GetTrailers().GetBytes("x-raw-bin"));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task ServerStreamingDeliversEveryMessageInOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        using var call = server.Client.ServerStreamCall(new EchoRequest { Text = "s", Repeat = 50 }, new CallOptions(CancellationToken: ct));

        var indexes = new List<int>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync(ct))
        {
            indexes.Add(reply.Index);
        }

        Assert.Equal(Enumerable.Range(0, 50), indexes);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task ClientStreamingHearsEveryMessageBeforeAnswering()
    {
        var ct = TestContext.Current.CancellationToken;
        using var call = server.Client.ClientStreamCall(new CallOptions(CancellationToken: ct));
        foreach (var text in new[] { "a", "b", "c" })
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = text }, ct);
        }
        await call.RequestStream.CompleteAsync();

        var reply = await call.ResponseAsync;

        Assert.Equal("a,b,c", reply.Text);
        Assert.Equal(3, reply.Index);
    }

    [Fact]
    public async Task DuplexStreamingAnswersEachMessageBeforeTheNextIsSent()
    {
        var ct = TestContext.Current.CancellationToken;
        using var call = server.Client.DuplexCall(new CallOptions(CancellationToken: ct));
        for (var i = 0; i < 5; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = $"m{i}" }, ct);
            Assert.True(await call.ResponseStream.MoveNext(ct));
            Assert.Equal($"m{i}", call.ResponseStream.Current.Text);
            Assert.Equal(i, call.ResponseStream.Current.Index);
        }
        await call.RequestStream.CompleteAsync();

        Assert.False(await call.ResponseStream.MoveNext(ct));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task ManyConcurrentCallsShareTheChannel()
    {
        var ct = TestContext.Current.CancellationToken;
        var replies = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            server.Client.UnaryAsync(new EchoRequest { Text = i.ToString() }, new CallOptions(CancellationToken: ct))));

        Assert.Equal(Enumerable.Range(0, 200).Select(i => i.ToString()), replies.Select(r => r.Text));
    }
}
