using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentFleet.Testing;
using System.Net.WebSockets;
using Grpc.Core;
using Grpc.Net.Client;
using AgentFleet.ServiceDefaults.Security;

namespace AgentFleet.Sessions.Tests.Fixtures;

/// <summary>
/// SessionRunner and ManagementApi as real processes over a database of their own, wired as the AppHost wires
/// them; the runner can be killed and started again over the same root and database.
/// </summary>
public sealed class Fleet : IAsyncDisposable
{
    private readonly SessionsFixture _infrastructure;
    private readonly Dictionary<string, string> _shared;
    private readonly Dictionary<string, string> _runnerEnvironment;

    private Fleet(SessionsFixture infrastructure, Dictionary<string, string> shared, Dictionary<string, string> runnerEnvironment)
    {
        _infrastructure = infrastructure;
        _shared = shared;
        _runnerEnvironment = runnerEnvironment;
    }

    public ServiceProcess Runner { get; private set; } = null!;

    public ServiceProcess Api { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public string RunnerRoot { get; private set; } = null!;

    /// <summary>SessionRunner's gRPC endpoint (h2c), for tests of its contract.</summary>
    public Uri RunnerGrpc { get; private set; } = null!;

    public string DatabaseConnectionString => _shared["ConnectionStrings__fleetdb"];

    /// <summary>ManagementApi's agent-control port (JSON-RPC over TCP), on loopback.</summary>
    public int AgentControlPort { get; private set; }

    private Dictionary<string, string> _apiEnvironment = [];

    /// <summary>The admin key ManagementApi knows (MANAGEMENT_API_KEY), which the agent-control port accepts.</summary>
    public const string AdminKey = "test-admin-key";

    /// <param name="redis">A Redis of the test's own, for a test that stops it; the shared one otherwise.</param>
    /// <param name="api">Configuration of ManagementApi's own, on top of the wiring.</param>
    public static async Task<Fleet> StartAsync(SessionsFixture infrastructure, CancellationToken cancellationToken, int maxConcurrent = 4, double stopGraceSeconds = 10, LocalServer? redis = null,
        Dictionary<string, string>? api = null, Dictionary<string, string>? runnerSettings = null)
    {
        var shared = new Dictionary<string, string>
        {
            ["ConnectionStrings__fleetdb"] = await infrastructure.CreateDatabaseAsync(cancellationToken),
            ["ConnectionStrings__redis"] = (redis ?? infrastructure.Redis).ConnectionString,
        };
        var root = Path.Combine(Path.GetTempPath(), $"fleet-runner-test-{Guid.NewGuid():N}");
        var apiHttp = $"http://127.0.0.1:{PortAllocator.GetFreePort()}";
        var agentControlPort = PortAllocator.GetFreePort();
        var runnerHttp = $"http://127.0.0.1:{PortAllocator.GetFreePort()}";
        var runnerGrpc = $"http://127.0.0.1:{PortAllocator.GetFreePort()}";
        var runner = new Dictionary<string, string>(shared)
        {
            ["Kestrel__Endpoints__http__Url"] = runnerHttp,
            ["Kestrel__Endpoints__grpc__Url"] = runnerGrpc,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["SessionRunner__Root"] = root,
            ["SessionRunner__RunnerId"] = "runner-a",
            ["SessionRunner__MaxConcurrent"] = maxConcurrent.ToString(),
            ["SessionRunner__StopGraceSeconds"] = stopGraceSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SessionRunner__Claude__Path"] = ClaudeCli.Path,
            ["SessionRunner__Claude__AnthropicBaseUrl"] = infrastructure.Proxy.HttpUrl,
            ["SessionKeys__Secret"] = SessionsFixture.SessionKeySecret,
            ["Identity__Secret"] = IdentitySecret,
            // Claude sessions get the fleet's MCP tools, as under the AppHost.
            ["SessionRunner__Mcp__FleetUrl"] = $"{apiHttp}/mcp",
            // A secret of the runner's own: it must never reach an agent.
            ["FLEET_TEST_SECRET"] = "do-not-leak",
        };
        foreach (var (key, value) in runnerSettings ?? [])
        {
            runner[key] = value;
        }
        var fleet = new Fleet(infrastructure, shared, runner) { RunnerRoot = root, RunnerGrpc = new Uri(runnerGrpc), AgentControlPort = agentControlPort };
        fleet.Runner = await ServiceProcess.StartAsync(typeof(Fleet).Assembly, "SessionRunner", runner, cancellationToken);
        var apiEnvironment = new Dictionary<string, string>(shared)
        {
            ["Kestrel__Endpoints__http__Url"] = apiHttp,
            ["services__session-runner__grpc__0"] = runnerGrpc,
            ["services__session-runner__http__0"] = runnerHttp,
            ["services__zai-proxy__grpc__0"] = infrastructure.ProxyGrpc,
            ["Identity__Secret"] = IdentitySecret,
            ["SessionKeys__Secret"] = SessionsFixture.SessionKeySecret,
            ["MANAGEMENT_API_KEY"] = AdminKey,
            ["Mcp__AgentControlPort"] = agentControlPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in api ?? [])
        {
            apiEnvironment[key] = value;
        }
        fleet._apiEnvironment = apiEnvironment;
        fleet.Api = await ServiceProcess.StartAsync(typeof(Fleet).Assembly, "ManagementApi", apiEnvironment, cancellationToken);
        // As the gateway would forward them: signed, as the admin.
        fleet.Http = new HttpClient(new SignedIdentityHandler(Signer, Admin, new SocketsHttpHandler())) { BaseAddress = new Uri(apiHttp), Timeout = TimeSpan.FromSeconds(60) };
        return fleet;
    }

    /// <summary>Kills ManagementApi (SIGKILL, as a crash would) and starts it again on the same ports.</summary>
    public async Task RestartApiAsync(CancellationToken cancellationToken)
    {
        await Api.KillAsync();
        await Api.DisposeAsync();
        Api = await ServiceProcess.StartAsync(typeof(Fleet).Assembly, "ManagementApi", _apiEnvironment, cancellationToken);
    }

    public async Task RestartRunnerAsync(CancellationToken cancellationToken)
    {
        await Runner.DisposeAsync();
        Runner = await ServiceProcess.StartAsync(typeof(Fleet).Assembly, "SessionRunner", _runnerEnvironment, cancellationToken);
    }

    public async Task<(HttpResponseMessage Response, JsonObject? Body)> PostJsonAsync(string path, object body, CancellationToken cancellationToken)
    {
        var response = await Http.PostAsJsonAsync(path, body, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return (response, text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null);
    }

    public Task<string> StartSessionAsync(object body, CancellationToken cancellationToken) => StartSessionAsync(Http, body, cancellationToken);

    /// <summary>Starts a session as <paramref name="client"/>'s caller (see <see cref="ClientAs"/>); its id.</summary>
    public static async Task<string> StartSessionAsync(HttpClient client, object body, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsJsonAsync("/v1/sessions", body, cancellationToken);
        var json = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"{response.StatusCode}: {json}");
        return json!["sessionId"]!.GetValue<string>();
    }

    public async Task<JsonObject> GetSessionAsync(string id, CancellationToken cancellationToken) =>
        (await Http.GetFromJsonAsync<JsonObject>($"/v1/sessions/{id}", cancellationToken))!;

    public async Task<List<JsonObject>> MessagesAsync(string id, CancellationToken cancellationToken, long since = 0)
    {
        var page = (await Http.GetFromJsonAsync<JsonObject>($"/v1/sessions/{id}/messages?since={since}&limit=5000", cancellationToken))!;
        return [.. page["events"]!.AsArray().Select(e => e!.AsObject())];
    }

    /// <summary>Polls the session until <paramref name="done"/> holds for it, or fails after <paramref name="seconds"/>.</summary>
    public async Task<JsonObject> WaitForAsync(string id, Func<JsonObject, bool> done, CancellationToken cancellationToken, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        JsonObject session;
        do
        {
            session = await GetSessionAsync(id, cancellationToken);
            if (done(session))
            {
                return session;
            }
            await Task.Delay(100, cancellationToken);
        }
        while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"Session {id} did not get there: {session.ToJsonString()}\nrunner:\n{Runner.Output}");
    }

    public static string StatusOf(JsonObject session) => session["status"]!.GetValue<string>();

    private readonly List<ServiceProcess> _replicas = [];

    /// <summary>
    /// One more SessionRunner on the same database and Redis, wired as the first, with a root and ports of its own and
    /// the id <paramref name="runnerId"/>; ManagementApi learns of it from its heartbeat.
    /// </summary>
    public async Task<ServiceProcess> AddRunnerAsync(string runnerId, CancellationToken cancellationToken)
    {
        var root = Path.Combine(RunnerRoot, "..", $"{Path.GetFileName(RunnerRoot)}-{runnerId}");
        var environment = new Dictionary<string, string>(_runnerEnvironment)
        {
            ["Kestrel__Endpoints__http__Url"] = $"http://127.0.0.1:{PortAllocator.GetFreePort()}",
            ["Kestrel__Endpoints__grpc__Url"] = $"http://127.0.0.1:{PortAllocator.GetFreePort()}",
            ["SessionRunner__Root"] = Path.GetFullPath(root),
            ["SessionRunner__RunnerId"] = runnerId,
        };
        _replicaEnvironments[runnerId] = environment;
        _extraRoots.Add(Path.GetFullPath(root));
        var runner = await ServiceProcess.StartAsync(typeof(Fleet).Assembly, "SessionRunner", environment, cancellationToken);
        _replicas.Add(runner);
        return runner;
    }

    private readonly Dictionary<string, Dictionary<string, string>> _replicaEnvironments = [];

    /// <summary>Starts the runner <paramref name="runnerId"/> (added by <see cref="AddRunnerAsync"/>) again, on its ports and root.</summary>
    public async Task<ServiceProcess> RestartRunnerAsync(string runnerId, ServiceProcess previous, CancellationToken cancellationToken)
    {
        _replicas.Remove(previous);
        await previous.DisposeAsync();
        var runner = await ServiceProcess.StartAsync(typeof(Fleet).Assembly, "SessionRunner", _replicaEnvironments[runnerId], cancellationToken);
        _replicas.Add(runner);
        return runner;
    }

    private readonly List<string> _extraRoots = [];

    /// <summary>One more ManagementApi on the same database and Redis, and a client of it signed as the admin.</summary>
    public async Task<HttpClient> AddApiAsync(CancellationToken cancellationToken)
    {
        var http = $"http://127.0.0.1:{PortAllocator.GetFreePort()}";
        var environment = new Dictionary<string, string>(_apiEnvironment)
        {
            ["Kestrel__Endpoints__http__Url"] = http,
            ["Mcp__AgentControlPort"] = PortAllocator.GetFreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        _replicas.Add(await ServiceProcess.StartAsync(typeof(Fleet).Assembly, "ManagementApi", environment, cancellationToken));
        return new HttpClient(new SignedIdentityHandler(Signer, Admin, new SocketsHttpHandler())) { BaseAddress = new Uri(http), Timeout = TimeSpan.FromSeconds(60) };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }
        foreach (var root in _extraRoots)
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
        Http?.Dispose();
        if (Api is not null) await Api.DisposeAsync();
        if (Runner is not null) await Runner.DisposeAsync();
        try
        {
            Directory.Delete(RunnerRoot, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>A client of ManagementApi signed as <paramref name="caller"/>, as the gateway would sign for that caller's key.</summary>
    public HttpClient ClientAs(CallerIdentity caller) =>
        new(new SignedIdentityHandler(Signer, caller, new SocketsHttpHandler())) { BaseAddress = Http.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>A gRPC channel to the runner whose calls are signed as ManagementApi's are.</summary>
    public GrpcChannel RunnerChannel() => GrpcChannel.ForAddress(RunnerGrpc,
        new GrpcChannelOptions { HttpHandler = new SignedIdentityHandler(Signer, CallerIdentity.Service("management-api"), new SocketsHttpHandler()) });

    /// <summary>Signs a WebSocket handshake to <paramref name="uri"/> as the admin, as the gateway would.</summary>
    public static void Sign(ClientWebSocket socket, Uri uri) =>
        Signer.Sign(Admin, "GET", uri.AbsolutePath, socket.Options.SetRequestHeader);

    public const string IdentitySecret = "test-identity-secret";

    /// <summary>Runner settings that let operators start command sessions (admins only by default).</summary>
    public static Dictionary<string, string> OperatorsRunCommands => new() { ["SessionRunner__Command__AllowedRoles__0"] = "operator" };

    private static readonly IdentitySigner Signer = new(IdentitySecret);

    private static readonly CallerIdentity Admin = new("admin", "admin", CallerRole.Admin);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
