using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using AgentFleet.Grpc.Client;
using AgentFleet.Grpc.Tests.Echo;
using AgentFleet.Grpc.Tests.Fixtures;
using Google.Protobuf;

namespace AgentFleet.Grpc.Tests;

public sealed class ErrorTests(GrpcServerFixture server) : IClassFixture<GrpcServerFixture>
{
    public static TheoryData<int> EveryErrorCode => new(Enumerable.Range(1, 16));

    [Theory]
    [MemberData(nameof(EveryErrorCode))]
    public async Task EveryStatusCodeReachesTheClientWithItsMessageAndTrailers(int code)
    {
        var message = $"failed with {code}: 100% ünïcode\nsecond line";
        var request = new EchoRequest { Text = "x", FailWithCode = code, FailMessage = message };

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Client.UnaryAsync(request, Options()));

        Assert.Equal((StatusCode)code, error.StatusCode);
        Assert.Equal(message, error.Status.Detail);
        Assert.Equal("yes", error.Trailers.GetValue("x-failed"));
    }

    [Fact]
    public async Task AnErrorAfterStreamedMessagesArrivesInTheTrailers()
    {
        using var call = server.Client.DuplexCall(Options());
        await call.RequestStream.WriteAsync(new EchoRequest { Text = "fine" }, TestContext.Current.CancellationToken);
        Assert.True(await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken));
        await call.RequestStream.WriteAsync(new EchoRequest { FailWithCode = (int)StatusCode.FailedPrecondition, FailMessage = "not now" }, TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal("not now", call.GetStatus().Detail);
    }

    [Fact]
    public async Task AHandlerExceptionIsUnknownAndRevealsNothing()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => server.Client.UnaryAsync(new EchoRequest { Throw = true }, Options()));

        Assert.Equal(StatusCode.Unknown, error.StatusCode);
        Assert.DoesNotContain("hunter2", error.Status.Detail);
        Assert.DoesNotContain("InvalidOperation", error.Status.Detail);
    }

    [Fact]
    public async Task AMethodNobodyServesIsUnimplemented()
    {
        var missing = new Method<EchoRequest, EchoReply>(MethodType.Unary, "fleet.test.v1.Nobody", "Home", EchoRequest.Parser, EchoReply.Parser);

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Channel.UnaryAsync(missing, new EchoRequest(), Options()));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Fact]
    public async Task ADeadlineShorterThanTheHandlerEndsTheCallAndCancelsTheHandler()
    {
        var options = Options() with { Deadline = DateTime.UtcNow.AddMilliseconds(300) };

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Client.UnaryAsync(new EchoRequest { Text = "slow-deadline", DelayMs = 30_000 }, options));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        await server.Observations.WhenCancelled("slow-deadline").WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ADeadlineAlreadyPassedFailsWithoutSending()
    {
        var options = Options() with { Deadline = DateTime.UtcNow.AddSeconds(-1) };

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Client.UnaryAsync(new EchoRequest { Text = "late" }, options));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task CancellingOnTheClientCancelsTheServerHandler()
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        using var call = server.Client.ServerStreamCall(new EchoRequest { Text = "slow-cancel", Repeat = 2, DelayMs = 30_000 }, new CallOptions(CancellationToken: cancel.Token));
        var reading = call.ResponseStream.MoveNext(TestContext.Current.CancellationToken);

        await Task.Delay(200, TestContext.Current.CancellationToken);
        await cancel.CancelAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => reading);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        await server.Observations.WhenCancelled("slow-cancel").WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task AServerThatEndsTheCallStopsTheClientsStreamingWrites()
    {
        using var call = server.Client.DuplexCall(Options());
        await call.RequestStream.WriteAsync(new EchoRequest { FailWithCode = (int)StatusCode.Aborted, FailMessage = "stop" }, TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(TestContext.Current.CancellationToken));

        Assert.Equal(StatusCode.Aborted, error.StatusCode);
        await Assert.ThrowsAsync<RpcException>(() => call.RequestStream.WriteAsync(new EchoRequest(), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task MessagesUpToFourMebibytesPassAndLargerOnesAreResourceExhausted()
    {
        var large = ByteString.CopyFrom(new byte[3 * 1024 * 1024]);
        var reply = await server.Client.UnaryAsync(new EchoRequest { Payload = large }, Options());
        Assert.Equal(large.Length, reply.Payload.Length);

        var oversized = ByteString.CopyFrom(new byte[5 * 1024 * 1024]);
        // Our own client refuses to send it ...
        var sent = await Assert.ThrowsAsync<RpcException>(() => server.Client.UnaryAsync(new EchoRequest { Payload = oversized }, Options()));
        Assert.Equal(StatusCode.ResourceExhausted, sent.StatusCode);

        // ... and a client allowed to send it hears the server refuse it.
        using var generous = GrpcChannel.Create(server.Address, new GrpcChannelOptions { MaxSendMessageSize = 16 * 1024 * 1024, MaxReceiveMessageSize = 16 * 1024 * 1024 });
        var received = await Assert.ThrowsAsync<RpcException>(() => new EchoGrpc.EchoClient(generous).UnaryAsync(new EchoRequest { Payload = oversized }, Options()));
        Assert.Equal(StatusCode.ResourceExhausted, received.StatusCode);
    }

    [Fact]
    public async Task AnImmediateErrorIsATrailersOnlyResponse()
    {
        using var http = Http2Client();
        using var response = await http.SendAsync(RawRequest("/fleet.test.v1.Echo/Unary", Frame(new EchoRequest { FailWithCode = 5, FailMessage = "gone" }.ToByteArray(), compressed: false)), TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("5", response.Headers.GetValues("grpc-status").Single());
        Assert.Equal("gone", response.Headers.GetValues("grpc-message").Single());
        Assert.Empty(body);
    }

    [Fact]
    public async Task AGzipCompressedRequestIsAccepted()
    {
        var message = new EchoRequest { Text = "squeezed" }.ToByteArray();
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            await gzip.WriteAsync(message, TestContext.Current.CancellationToken);
        }
        var request = RawRequest("/fleet.test.v1.Echo/Unary", Frame(compressed.ToArray(), compressed: true));
        request.Headers.Add("grpc-encoding", "gzip");
        using var http = Http2Client();

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);

        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
        Assert.Equal("squeezed", EchoReply.Parser.ParseFrom(body.AsSpan(5)).Text);
    }

    private static CallOptions Options() => new(CancellationToken: TestContext.Current.CancellationToken);

    private static HttpClient Http2Client() => new(new SocketsHttpHandler()) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };

    private HttpRequestMessage RawRequest(string path, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, path)) { Content = content, Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        return request;
    }

    private static byte[] Frame(byte[] payload, bool compressed)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }
}
