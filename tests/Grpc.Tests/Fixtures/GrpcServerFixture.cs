using AgentFleet.Grpc.Tests.Echo;
using AgentFleet.ServiceDefaults.Grpc;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace AgentFleet.Grpc.Tests.Fixtures;

/// <summary>The Echo service as the fleet's services serve theirs: Grpc.AspNetCore on Kestrel, HTTP/2 cleartext, with health.</summary>
public sealed class GrpcServerFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public Uri Address { get; private set; } = null!;

    public ServerObservations Observations { get; } = new();

    public GrpcChannel Channel { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Logging.ClearProviders();
        builder.Services.AddGrpcServer(EchoContract.Descriptor.FullName);
        // What every service has (ServiceDefaults' liveness check): health answers from the checks there are.
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy());
        builder.Services.AddSingleton(Observations);
        _app = builder.Build();
        _app.MapGrpcService<EchoService>();
        _app.MapGrpcHealthChecksService();
        await _app.StartAsync();
        Address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Channel = GrpcChannel.ForAddress(Address);
    }

    public async ValueTask DisposeAsync()
    {
        Channel?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
