using AgentFleet.Grpc.Client;
using AgentFleet.Grpc.Health;
using AgentFleet.Grpc.Tests.Fixtures;
using Grpc.Health.V1;
using Microsoft.Extensions.Configuration;

namespace AgentFleet.Grpc.Tests;

public sealed class ChannelConfigurationTests(GrpcServerFixture server) : IClassFixture<GrpcServerFixture>
{
    [Fact]
    public async Task AServiceIsReachedAtTheAddressTheAppHostInjects()
    {
        // What services__echo__grpc__0=http://... in the environment becomes.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["services:echo:grpc:0"] = server.Address.ToString() })
            .Build();

        var channel = GrpcChannel.ForService(configuration, "echo");
        var health = await new HealthGrpc.HealthClient(channel).CheckAsync(new HealthCheckRequest(), new CallOptions(CancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.Same(channel, GrpcChannel.ForService(configuration, "echo"));
    }

    [Fact]
    public void AMissingAddressNamesTheVariableToSet()
    {
        var error = Assert.Throws<InvalidOperationException>(() => GrpcChannel.ForService(new ConfigurationBuilder().Build(), "session-runner"));

        Assert.Contains("services__session-runner__grpc__0", error.Message);
    }
}
