using System.Net;
using System.Net.Http.Json;
using AgentFleet.Bench.Harness;
using AgentFleet.Grpc.Tests.Echo;
using AgentFleet.ServiceDefaults.Grpc;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentFleet.Bench.Scenarios;

/// <summary>
/// Unary gRPC calls, Grpc.Net.Client to Grpc.AspNetCore (as the services serve and call) over HTTP/2 cleartext on loopback, beside the same
/// echo made as an HTTP/1.1 JSON POST to a minimal API; client and server share this process and machine.
/// </summary>
public sealed class GrpcUnaryScenario : IScenario
{
    private const int Concurrency = 64;

    public string Name => "grpc";

    public string Description => "unary gRPC calls/s and latency (Grpc.AspNetCore, Grpc.Net.Client) vs HTTP/1.1 JSON to a minimal API";

    public async Task RunAsync(BenchOptions options)
    {
        await using var grpcServer = await StartAsync(HttpProtocols.Http2, app => app.MapGrpcService<BenchEchoService>());
        await using var jsonServer = await StartAsync(HttpProtocols.Http1, app => app.MapPost("/echo", (EchoDto request) => request));
        using var channel = GrpcChannel.ForAddress(KestrelAddress.Of(grpcServer));
        var grpc = new EchoContract.EchoClient(channel);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Concurrency, UseProxy = false })
        {
            BaseAddress = new Uri(KestrelAddress.Of(jsonServer)),
            DefaultRequestVersion = HttpVersion.Version11,
        };
        var request = new EchoRequest { Text = "ping" };
        Task GrpcCall() => grpc.UnaryAsync(request).ResponseAsync;
        async Task JsonCall()
        {
            using var response = await http.PostAsJsonAsync("/echo", new EchoDto("ping"));
            response.EnsureSuccessStatusCode();
            await response.Content.ReadFromJsonAsync<EchoDto>();
        }

        var json = await ClosedLoop.RunAsync(JsonCall, Concurrency, options.Warmup, options.Duration);
        var ours = await ClosedLoop.RunAsync(GrpcCall, Concurrency, options.Warmup, options.Duration);
        var json2 = await ClosedLoop.RunAsync(JsonCall, Concurrency, options.Warmup, options.Duration);
        var ours2 = await ClosedLoop.RunAsync(GrpcCall, Concurrency, options.Warmup, options.Duration);

        Report.Load("HTTP/1.1 JSON (baseline)", json);
        Report.Load("gRPC unary (grpc-dotnet)", ours);
        Report.Load("HTTP/1.1 JSON (baseline) #2", json2);
        Report.Load("gRPC unary #2", ours2);
        Report.Ratio("throughput", (ours.PerSecond + ours2.PerSecond) / 2, (json.PerSecond + json2.PerSecond) / 2, "calls/s");
        Report.Ratio("p50 latency", (ours.Percentile(50) + ours2.Percentile(50)) / 2, (json.Percentile(50) + json2.Percentile(50)) / 2, "ms");
        Report.Ratio("p99 latency", (ours.Percentile(99) + ours2.Percentile(99)) / 2, (json.Percentile(99) + json2.Percentile(99)) / 2, "ms");
    }

    private static async Task<WebApplication> StartAsync(HttpProtocols protocols, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = protocols));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddGrpcServer();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, BenchJson.Default));
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }

    private sealed class BenchEchoService : EchoContract.EchoBase
    {
        public override Task<EchoReply> Unary(EchoRequest request, ServerCallContext context) => Task.FromResult(new EchoReply { Text = request.Text });
    }
}

public sealed record EchoDto(string Text);

[System.Text.Json.Serialization.JsonSerializable(typeof(EchoDto))]
internal sealed partial class BenchJson : System.Text.Json.Serialization.JsonSerializerContext;
