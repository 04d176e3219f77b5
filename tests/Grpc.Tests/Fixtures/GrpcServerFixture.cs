using AgentFleet.Grpc.Client;
using AgentFleet.Grpc.Server;
using AgentFleet.Grpc.Tests.Echo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentFleet.Grpc.Tests.Fixtures;

/// <summary>The Echo service on real Kestrel, HTTP/2 cleartext on a free loopback port.</summary>
public sealed class GrpcServerFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public Uri Address { get; private set; } = null!;

    public ServerObservations Observations { get; } = new();

    public GrpcChannel Channel { get; private set; } = null!;

    public EchoGrpc.EchoClient Client => new(Channel);

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Logging.ClearProviders();
        builder.Services.AddGrpcServer(o => o.HealthWatchInterval = TimeSpan.FromMilliseconds(100));
        builder.Services.AddSingleton(Observations);
        builder.Services.AddScoped<EchoGrpc.EchoBase, EchoService>();
        _app = builder.Build();
        _app.MapGrpcService<EchoGrpc.EchoBase>();
        await _app.StartAsync();
        Address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Channel = GrpcChannel.Create(Address);
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
