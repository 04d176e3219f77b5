using AgentFleet.Gateway.Tests.Fixtures;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace AgentFleet.Gateway.Tests;

/// <summary>gRPC clients from outside, on the gateway's HTTP/2 port, with the same keys, roles and signed identity.</summary>
public sealed class GrpcTests(GatewayFixture fleet)
{
    [Fact]
    public async Task TheServicesStatusMethodsAnswerAKeyOnTheGrpcPortAndNothingElseIsReachable()
    {
        var ct = TestContext.Current.CancellationToken;
        var grpcUrl = GatewayFixture.Url();
        await using var gateway = await fleet.StartGatewayAsync(new()
        {
            ["Kestrel__Endpoints__grpc__Url"] = grpcUrl,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
        }, ct);
        var (_, viewer) = await fleet.CreateKeyAsync("viewer", ct);
        using var channel = GrpcChannel.ForAddress(grpcUrl);
        Task<Empty> Call(Method<Empty, Empty> method, string? key) =>
            EmptyGrpc.CallAsync(channel, method, key is null ? null : new Metadata { { "authorization", $"Bearer {key}" } }, ct);

        // Each answer (a RunnerStatus, a PoolStatus, a BridgeStatus) reads as an Empty with unknown fields.
        foreach (var method in (Method<Empty, Empty>[])[
            EmptyGrpc.Unary("fleet.sessionrunner.v1.SessionRunner", "GetRunnerStatus"),
            EmptyGrpc.Unary("fleet.zaiproxy.v1.ZaiProxy", "GetPoolStatus"),
            EmptyGrpc.Unary("fleet.comfybridge.v1.ComfyBridge", "GetBridgeStatus")])
        {
            var answer = await Call(method, viewer);
            Assert.True(answer.CalculateSize() > 0, $"{method.FullName} answered nothing");
            Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => Call(method, null))).StatusCode);
            Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => Call(method, "fleet_not-a-key-anyone-was-given"))).StatusCode);
        }
        // What no route names is not there: the runner's control methods stay behind ManagementApi's REST API.
        var hidden = await Assert.ThrowsAsync<RpcException>(() => Call(EmptyGrpc.Unary("fleet.sessionrunner.v1.SessionRunner", "StartSession"), viewer));
        Assert.Equal(StatusCode.Unimplemented, hidden.StatusCode);
    }
}
