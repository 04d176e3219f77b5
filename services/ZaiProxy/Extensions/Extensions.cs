using AgentFleet.ServiceDefaults.Grpc;
using AgentFleet.ServiceDefaults.Data;
using AgentFleet.ServiceDefaults.Health;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.ZaiProxy.Accounting;
using AgentFleet.ZaiProxy.Auth;
using AgentFleet.ZaiProxy.Contracts;
using AgentFleet.ZaiProxy.Grpc;
using AgentFleet.ZaiProxy.Options;
using AgentFleet.ZaiProxy.Pool;
using AgentFleet.ZaiProxy.Simulation;
using AgentFleet.ZaiProxy.Telemetry;
using AgentFleet.ZaiProxy.Upstream;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AgentFleet.ZaiProxy.Extensions;

internal static class Extensions
{
    public const string ResourceName = "zai-proxy";

    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddGrpcServer(ZaiProxyGrpc.Descriptor.FullName);
        builder.AddFleetDatabase("fleetdb");
        builder.AddMigrations(ResourceName, typeof(Extensions).Assembly);

        builder.Services.Configure<UpstreamOptions>(builder.Configuration.GetSection(UpstreamOptions.Section));
        builder.Services.Configure<PoolOptions>(options =>
        {
            builder.Configuration.GetSection(PoolOptions.Section).Bind(options);
            PoolOptions.ApplyEnvironment(options, builder.Configuration);
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SessionKeys>();
        builder.Services.AddIdentitySigner();
        builder.Services.AddSingleton<CallerAuthentication>();
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton<WorkerPool>();
        builder.Services.AddSingleton<PoolHealth>();
        builder.Services.AddSingleton<IHealthDetails>(services => services.GetRequiredService<PoolHealth>());
        builder.Services.AddSingleton<ProxyMetrics>();
        builder.Services.AddSingleton<PriceTable>();
        builder.Services.AddSingleton<UsageQueries>();
        // Several replicas count budgets together in Redis; without it each counts alone, as a single replica should.
        var sharedSpend = builder.Configuration.GetConnectionString("redis") is { Length: > 0 };
        if (sharedSpend)
        {
            // Model calls go on without Redis, each replica counting its own: an unready proxy would fail them for nothing.
            builder.AddFleetRedis("redis", new RedisOutage("budgets' spend is shared by every replica",
                "budgets count this replica's calls on top of the stored spend"));
        }
        builder.Services.AddSingleton(services => new SpendCounters(sharedSpend ? services.GetRequiredService<IConnectionMultiplexer>() : null,
            services.GetRequiredService<ILogger<SpendCounters>>()));
        builder.Services.AddSingleton<SessionSpend>();
        builder.Services.AddSingleton<KeySpend>();
        builder.Services.AddSingleton<BudgetGuard>();
        builder.Services.AddSingleton<UsageReports>();
        builder.Services.AddSingleton<UsageSpool>();
        builder.Services.AddSingleton<UsageRecorder>();
        builder.Services.AddHostedService(services => services.GetRequiredService<UsageRecorder>());
        builder.Services.AddSingleton<SimulatedModel>();
        builder.Services.AddSingleton<MessagesForwarder>();

        // One pooled client for the upstream; the simulated model stands in as its handler when there is no key.
        // No HttpClient timeout: the forwarder bounds each call itself, and a stream may rightly run for minutes.
        builder.Services.AddSingleton(services =>
        {
            var upstream = services.GetRequiredService<IOptions<UpstreamOptions>>().Value;
            HttpMessageHandler handler = upstream.UsesSimulation
                ? new SimulatedUpstreamHandler(services.GetRequiredService<SimulatedModel>())
                : new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AutomaticDecompression = System.Net.DecompressionMethods.None };
            var client = new UpstreamClient(new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan }, services.GetRequiredService<IOptions<UpstreamOptions>>(),
                services.GetRequiredService<ProxyMetrics>(), services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILogger<UpstreamClient>>());
            if (upstream.UsesSimulation)
            {
                services.GetRequiredService<ILogger<UpstreamClient>>().LogWarning("No upstream key configured (Upstream:ApiKey) or Upstream:Simulated set: model calls go to the simulated model.");
            }
            return client;
        });
    }
}
