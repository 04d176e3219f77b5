using AgentFleet.Grpc.Client;
using AgentFleet.Grpc.Health;
using AgentFleet.Grpc.Tests.Fixtures;
using Grpc.Health.V1;

namespace AgentFleet.Grpc.Tests;

public sealed class HealthServiceTests(GrpcServerFixture server) : IClassFixture<GrpcServerFixture>
{
    [Fact]
    public async Task CheckReportsServingForTheServerAndItsServicesAndNotFoundForOthers()
    {
        var client = new HealthGrpc.HealthClient(server.Channel);
        var options = new CallOptions(CancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await client.CheckAsync(new HealthCheckRequest(), options)).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await client.CheckAsync(new HealthCheckRequest { Service = "fleet.test.v1.Echo" }, options)).Status);
        var error = await Assert.ThrowsAsync<RpcException>(() => client.CheckAsync(new HealthCheckRequest { Service = "no.such.Service" }, options));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task WatchStreamsTheCurrentStatusAndServiceUnknownForOthers()
    {
        var client = new HealthGrpc.HealthClient(server.Channel);
        var options = new CallOptions(CancellationToken: TestContext.Current.CancellationToken);

        using var watch = client.Watch(new HealthCheckRequest { Service = "fleet.test.v1.Echo" }, options);
        Assert.True(await watch.ResponseStream.MoveNext(TestContext.Current.CancellationToken));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, watch.ResponseStream.Current.Status);

        using var unknown = client.Watch(new HealthCheckRequest { Service = "no.such.Service" }, options);
        Assert.True(await unknown.ResponseStream.MoveNext(TestContext.Current.CancellationToken));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.ServiceUnknown, unknown.ResponseStream.Current.Status);
    }
}
