using AgentFleet.Grpc.Tests.Fixtures;
using Grpc.Core;
using Grpc.Health.V1;

namespace AgentFleet.Grpc.Tests;

/// <summary>grpc.health.v1 as every service serves it: the server and its contract by name, nothing else.</summary>
public sealed class HealthServiceTests(GrpcServerFixture server) : IClassFixture<GrpcServerFixture>
{
    [Fact]
    public async Task CheckReportsServingForTheServerAndItsServicesAndNotFoundForOthers()
    {
        var client = new Health.HealthClient(server.Channel);
        var options = new CallOptions(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await client.CheckAsync(new HealthCheckRequest(), options)).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await client.CheckAsync(new HealthCheckRequest { Service = "fleet.test.v1.Echo" }, options)).Status);
        var error = await Assert.ThrowsAsync<RpcException>(() => client.CheckAsync(new HealthCheckRequest { Service = "no.such.Service" }, options).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task WatchStreamsTheCurrentStatusAndServiceUnknownForOthers()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = new Health.HealthClient(server.Channel);
        var options = new CallOptions(cancellationToken: ct);

        using var watch = client.Watch(new HealthCheckRequest { Service = "fleet.test.v1.Echo" }, options);
        Assert.True(await watch.ResponseStream.MoveNext(ct));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, watch.ResponseStream.Current.Status);

        using var unknown = client.Watch(new HealthCheckRequest { Service = "no.such.Service" }, options);
        Assert.True(await unknown.ResponseStream.MoveNext(ct));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.ServiceUnknown, unknown.ResponseStream.Current.Status);
    }
}
