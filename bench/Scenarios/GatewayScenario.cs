using AgentFleet.Bench.Harness;
using AgentFleet.Testing;

namespace AgentFleet.Bench.Scenarios;

/// <summary>
/// What the gateway adds to a small authenticated JSON GET (<c>/v1/keys/self</c>): straight to ManagementApi with a
/// signed identity (the baseline), against the same call through the gateway, which authenticates the key, takes a
/// token from the Redis bucket (EVALSHA, leased in batches) and forwards it. Latency with one caller; throughput with sixteen.
/// </summary>
public sealed class GatewayScenario : IScenario
{
    private const string AdminKey = "bench-admin-key";
    private const int Concurrency = 16;

    public string Name => "gateway";

    public string Description => "authenticated JSON GET: direct to ManagementApi (signed), through a bare YARP route, and through the full gateway (auth + Redis rate limit)";

    public async Task RunAsync(BenchOptions options)
    {
        await using var postgres = await LocalServer.StartPostgresAsync(CancellationToken.None);
        await using var redis = await LocalServer.StartRedisAsync(CancellationToken.None);
        var apiGrpc = BenchServices.FreeUrl();
        await using var api = await BenchServices.StartAsync("ManagementApi", new()
        {
            ["ConnectionStrings__fleetdb"] = postgres.ConnectionString,
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["Kestrel__Endpoints__grpc__Url"] = apiGrpc,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            // Not called by this endpoint; set so the service is wired as in the AppHost.
            ["services__session-runner__grpc__0"] = BenchServices.FreeUrl(),
            ["Identity__Secret"] = BenchIdentity.Secret,
        });
        await using var gateway = await BenchServices.StartAsync("Gateway", new()
        {
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["MANAGEMENT_API_KEY"] = AdminKey,
            ["Identity__Secret"] = BenchIdentity.Secret,
            ["services__management-api__http__0"] = api.HttpUrl,
            ["services__management-api__grpc__0"] = apiGrpc,
            ["services__zai-proxy__http__0"] = BenchServices.FreeUrl(),
            ["services__comfy-bridge__http__0"] = BenchServices.FreeUrl(),
            // High enough never to refuse; a policy this large is spent through leases (64 tokens per Redis call).
            ["RateLimiting__Policies__default__PermitLimit"] = "1000000000",
            // X-Fleet-Bench-Bare: 1 takes the same call through YARP alone, in the same gateway process (no key check, no limit, no transforms).
            ["Gateway__BenchBareRoute"] = "true",
        });

        using var direct = new HttpClient(BenchIdentity.AdminHandler(Concurrency));
        using var viaGateway = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = Concurrency });
        viaGateway.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);
        Func<Task> Get(HttpClient client, string baseUrl) => async () =>
        {
            using var response = await client.GetAsync(baseUrl + "/v1/keys/self");
            response.EnsureSuccessStatusCode();
            await response.Content.LoadIntoBufferAsync();
        };
        var toApi = Get(direct, api.HttpUrl);
        var toGateway = Get(viaGateway, gateway.HttpUrl);
        // Signed by the client, as for the direct call: the bare route passes the headers as they come.
        using var viaBare = new HttpClient(BenchIdentity.AdminHandler(Concurrency));
        viaBare.DefaultRequestHeaders.Add("X-Fleet-Bench-Bare", "1");
        var toBare = Get(viaBare, gateway.HttpUrl);

        // Alternated, so drift on a shared machine hits both alike.
        var results = new Dictionary<string, List<LoadResult>>();
        foreach (var round in new[] { 1, 2 })
        {
            foreach (var (label, operation, concurrency) in new[]
            {
                ("direct, 1 caller", toApi, 1), ("gateway, 1 caller", toGateway, 1),
                ($"direct, {Concurrency} callers", toApi, Concurrency), ($"gateway, {Concurrency} callers", toGateway, Concurrency),
            })
            {
                var result = await ClosedLoop.RunAsync(operation, concurrency, options.Warmup, options.Duration);
                Report.Load($"{label} #{round}", result);
                (results.TryGetValue(label, out var list) ? list : results[label] = []).Add(result);
            }
        }
        // The full gateway against bare YARP in the same process: the two differ by a few percent, less than this machine
        // drifts over a 10 s run, so they alternate in short slices, in A B B A order, and the ratio is of the sums.
        var slice = options.Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(3);
        var pairs = options.Quick ? 2 : 6;
        foreach (var pair in Enumerable.Range(1, pairs))
        {
            var order = pair % 2 == 1
                ? new[] { ($"bare YARP, {Concurrency} callers", toBare), ($"full gateway, {Concurrency} callers", toGateway) }
                : new[] { ($"full gateway, {Concurrency} callers", toGateway), ($"bare YARP, {Concurrency} callers", toBare) };
            foreach (var (label, operation) in order)
            {
                var result = await ClosedLoop.RunAsync(operation, Concurrency, TimeSpan.FromMilliseconds(500), slice);
                Report.Load($"{label} #{pair}", result);
                (results.TryGetValue(label, out var list) ? list : results[label] = []).Add(result);
            }
        }
        double Mean(string label, Func<LoadResult, double> figure) => results[label].Average(figure);
        var addedP50 = Mean("gateway, 1 caller", r => r.Percentile(50)) - Mean("direct, 1 caller", r => r.Percentile(50));
        var addedP99 = Mean("gateway, 1 caller", r => r.Percentile(99)) - Mean("direct, 1 caller", r => r.Percentile(99));
        Console.WriteLine($"{"added by the gateway",-30} p50 {addedP50:N3} ms, p99 {addedP99:N3} ms (1 caller)");
        Report.Ratio("throughput", Mean($"gateway, {Concurrency} callers", r => r.PerSecond), Mean($"direct, {Concurrency} callers", r => r.PerSecond), "req/s");
        Report.Ratio("vs bare YARP", Mean($"full gateway, {Concurrency} callers", r => r.PerSecond), Mean($"bare YARP, {Concurrency} callers", r => r.PerSecond), "req/s");
    }
}
