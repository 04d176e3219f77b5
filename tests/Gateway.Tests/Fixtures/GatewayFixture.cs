using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.Testing;

[assembly: AssemblyFixture(typeof(AgentFleet.Gateway.Tests.Fixtures.GatewayFixture))]

namespace AgentFleet.Gateway.Tests.Fixtures;

/// <summary>
/// The whole suite as the AppHost wires it, every part a real process: PostgreSQL, Redis, SessionRunner,
/// ManagementApi, ZaiProxy (simulated upstream), ComfyBridge (on a ComfyUI test server) and the gateway; plus the <see cref="Backend"/> the
/// gateway also routes to under <c>/test</c>, <c>/small</c>, <c>/h2</c>, and <c>/down</c> (a port nobody serves).
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public const string AdminKey = "gateway-test-admin-key";
    public const string IdentitySecret = "gateway-test-identity-secret";
    public const string AllowedOrigin = "https://console.example";

    private readonly List<IAsyncDisposable> _owned = [];

    public LocalServer Postgres { get; private set; } = null!;

    public LocalServer Redis { get; private set; } = null!;

    /// <summary>The suite's database, for tests that check what was stored.</summary>
    public string Database { get; private set; } = null!;

    public Backend Backend { get; private set; } = null!;

    public ServiceProcess Api { get; private set; } = null!;

    public ServiceProcess Proxy { get; private set; } = null!;

    public ServiceProcess Gateway { get; private set; } = null!;

    public ServiceProcess Bridge { get; private set; } = null!;

    /// <summary>The ComfyUI test server ComfyBridge runs workflows on.</summary>
    public AgentFleet.ComfyBridge.Tests.Fixtures.ComfyUiServer ComfyUi { get; private set; } = null!;

    /// <summary>The <c>services__*</c> entries a gateway needs to find the services.</summary>
    public Dictionary<string, string> ServiceAddresses { get; } = [];

    public async ValueTask InitializeAsync()
    {
        var ct = CancellationToken.None;
        var postgres = LocalServer.StartPostgresAsync(ct);
        Redis = await LocalServer.StartRedisAsync(ct);
        Postgres = await postgres;
        Backend = await Backend.StartAsync();
        var database = Database = await Postgres.CreateDatabaseAsync(ct);
        var shared = new Dictionary<string, string> { ["ConnectionStrings__fleetdb"] = database, ["ConnectionStrings__redis"] = Redis.ConnectionString };

        var runnerGrpc = Url();
        await Start("SessionRunner", new(shared)
        {
            ["Kestrel__Endpoints__http__Url"] = Url(),
            ["Kestrel__Endpoints__grpc__Url"] = runnerGrpc,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["SessionRunner__Root"] = Path.Combine(Path.GetTempPath(), $"fleet-gateway-test-{Guid.NewGuid():N}"),
            // The tests drive command sessions with operator keys; the command agent is admin-only by default.
            ["SessionRunner__Command__AllowedRoles__0"] = "operator",
            ["Identity__Secret"] = IdentitySecret,
        });
        var proxyGrpc = Url();
        Proxy = await Start("ZaiProxy", new(shared)
        {
            ["Kestrel__Endpoints__http__Url"] = Url(),
            ["Kestrel__Endpoints__grpc__Url"] = proxyGrpc,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["Upstream__Simulated"] = "true",
            ["Usage__SpoolDirectory"] = Path.Combine(Path.GetTempPath(), $"fleet-gateway-zai-spool-{Guid.NewGuid():N}"),
            ["Identity__Secret"] = IdentitySecret,
        });
        ComfyUi = await AgentFleet.ComfyBridge.Tests.Fixtures.ComfyUiServer.StartAsync();
        var comfyGrpc = Url();
        var comfy = Bridge = await Start("ComfyBridge", new(shared)
        {
            ["Kestrel__Endpoints__http__Url"] = Url(),
            ["Kestrel__Endpoints__grpc__Url"] = comfyGrpc,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["Identity__Secret"] = IdentitySecret,
            ["ComfyUI__Servers__0"] = ComfyUi.Url,
            ["ComfyUI__OutputDirectory"] = Path.Combine(Path.GetTempPath(), $"fleet-gateway-comfy-{Guid.NewGuid():N}"),
        });
        var apiGrpc = Url();
        var agentControl = PortAllocator.GetFreePort();
        Api = await Start("ManagementApi", new(shared)
        {
            ["Mcp__AgentControlPort"] = agentControl.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // The agent-control port checks the admin key itself, as under the AppHost.
            ["MANAGEMENT_API_KEY"] = AdminKey,
            ["Kestrel__Endpoints__http__Url"] = Url(),
            ["Kestrel__Endpoints__grpc__Url"] = apiGrpc,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["services__session-runner__grpc__0"] = runnerGrpc,
            ["services__comfy-bridge__grpc__0"] = comfyGrpc,
            ["services__zai-proxy__grpc__0"] = proxyGrpc,
            ["Identity__Secret"] = IdentitySecret,
        });
        ServiceAddresses["services__management-api__http__0"] = Api.HttpUrl;
        ServiceAddresses["services__management-api__grpc__0"] = apiGrpc;
        ServiceAddresses["services__management-api__agent-control__0"] = $"tcp://127.0.0.1:{agentControl}";
        ServiceAddresses["services__zai-proxy__http__0"] = Proxy.HttpUrl;
        ServiceAddresses["services__comfy-bridge__http__0"] = comfy.HttpUrl;
        // For the gateway's gRPC routes, when a test gives it its HTTP/2 port.
        ServiceAddresses["services__session-runner__grpc__0"] = runnerGrpc;
        ServiceAddresses["services__zai-proxy__grpc__0"] = proxyGrpc;
        ServiceAddresses["services__comfy-bridge__grpc__0"] = comfyGrpc;
        Gateway = await StartGatewayAsync(new()
        {
            // The shared suite makes many calls with one admin key; the limiter's own test runs gateways of its own.
            ["RateLimiting__Policies__default__PermitLimit"] = "1000000",
            ["Cors__Origins__0"] = AllowedOrigin,
        }, ct);
        _owned.Add(Gateway);
    }

    /// <summary>A gateway process over this suite, with the test routes, and <paramref name="settings"/> on top.</summary>
    public Task<ServiceProcess> StartGatewayAsync(Dictionary<string, string> settings, CancellationToken cancellationToken, string? redis = null)
    {
        var environment = new Dictionary<string, string>(ServiceAddresses)
        {
            ["Kestrel__Endpoints__http__Url"] = Url(),
            ["ConnectionStrings__redis"] = redis ?? Redis.ConnectionString,
            ["MANAGEMENT_API_KEY"] = AdminKey,
            ["Identity__Secret"] = IdentitySecret,
            ["ReverseProxy__Clusters__backend__Destinations__one__Address"] = Backend.Url,
            ["ReverseProxy__Clusters__backend-h2__Destinations__one__Address"] = Backend.H2Url,
            ["ReverseProxy__Clusters__backend-h2__HttpRequest__Version"] = "2",
            ["ReverseProxy__Clusters__down__Destinations__one__Address"] = Url(),
            // The suite sends invalid keys on purpose from one address; the allowance has a test of its own.
            ["Gateway__FailedKeyLimit"] = "1000000",
        };
        TestRoute(environment, "test", "backend", maxBody: "-1");
        TestRoute(environment, "small", "backend", maxBody: "1024");
        TestRoute(environment, "h2", "backend-h2");
        TestRoute(environment, "down", "down");
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }
        return ServiceProcess.StartAsync(typeof(GatewayFixture).Assembly, "Gateway", environment, cancellationToken);
    }

    private static void TestRoute(Dictionary<string, string> environment, string prefix, string cluster, string? maxBody = null)
    {
        var route = $"ReverseProxy__Routes__{prefix}__";
        environment[route + "ClusterId"] = cluster;
        environment[route + "Match__Path"] = $"/{prefix}/{{**rest}}";
        environment[route + "AuthorizationPolicy"] = "operator";
        environment[route + "RateLimiterPolicy"] = "disable";
        environment[route + "Timeout"] = "00:00:02";
        environment[route + "Transforms__0__PathRemovePrefix"] = $"/{prefix}";
        if (maxBody is not null)
        {
            environment[route + "MaxRequestBodySize"] = maxBody;
        }
    }

    /// <summary>A client of the gateway presenting <paramref name="key"/> (none when null).</summary>
    public HttpClient Client(string? key, ServiceProcess? gateway = null)
    {
        var client = new HttpClient { BaseAddress = new Uri((gateway ?? Gateway).HttpUrl), Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return client;
    }

    /// <summary>A new key made by the admin through the gateway.</summary>
    public async Task<(string Id, string Key)> CreateKeyAsync(string role, CancellationToken cancellationToken, string? owner = null)
    {
        using var admin = Client(AdminKey);
        using var response = await admin.PostAsJsonAsync("/v1/keys", new { name = $"test {role}", role, owner }, cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"{response.StatusCode}: {body}");
        return (body!["id"]!.GetValue<string>(), body["key"]!.GetValue<string>());
    }

    private async Task<ServiceProcess> Start(string name, Dictionary<string, string> environment)
    {
        var process = await ServiceProcess.StartAsync(typeof(GatewayFixture).Assembly, name, environment, CancellationToken.None);
        _owned.Add(process);
        return process;
    }

    public static string Url() => $"http://127.0.0.1:{PortAllocator.GetFreePort()}";

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
        await Backend.DisposeAsync();
        await ComfyUi.DisposeAsync();
        await Redis.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}
