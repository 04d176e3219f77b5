using AgentFleet.Grpc.Tests.Echo;
using AgentFleet.Grpc.Tests.Fixtures;
using AgentFleet.ServiceDefaults.Grpc;
using AgentFleet.ServiceDefaults.Security;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentFleet.Grpc.Tests;

/// <summary>A client as the services register theirs (ServiceDefaults, then AddServiceGrpcClient): found by service discovery, with a deadline on every unary call.</summary>
public sealed class ServiceClientTests(GrpcServerFixture server) : IClassFixture<GrpcServerFixture>
{
    [Fact]
    public async Task AClientOfAServiceByNameReachesItsGrpcEndpointAndGivesUnaryCallsADeadline()
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["services:echo:grpc:0"] = server.Address.ToString();
        builder.AddServiceDefaults();
        builder.Services.AddSingleton(new IdentitySigner("a-secret-of-at-least-32-characters-long"));
        builder.Services.AddServiceGrpcClient<EchoContract.EchoClient>("echo", "tests");
        using var host = builder.Build();
        var provider = host.Services;
        var client = provider.GetRequiredService<EchoContract.EchoClient>();

        var before = DateTime.UtcNow;
        var reply = await client.UnaryAsync(new EchoRequest { Text = "deadline" }, cancellationToken: ct);
        var deadline = DateTime.Parse(reply.Text, null, System.Globalization.DateTimeStyles.RoundtripKind);
        Assert.InRange(deadline, before + GrpcClientExtensions.DefaultDeadline - TimeSpan.FromSeconds(5), before + GrpcClientExtensions.DefaultDeadline + TimeSpan.FromSeconds(5));

        // A deadline the caller names is kept.
        var own = await client.UnaryAsync(new EchoRequest { Text = "deadline" }, deadline: before.AddSeconds(3), cancellationToken: ct);
        Assert.True(DateTime.Parse(own.Text, null, System.Globalization.DateTimeStyles.RoundtripKind) < before.AddSeconds(4));
    }
}
