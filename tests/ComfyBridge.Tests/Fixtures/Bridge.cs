using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Net.Client;
using AgentFleet.Testing;
using AgentFleet.ServiceDefaults.Security;

namespace AgentFleet.ComfyBridge.Tests.Fixtures;

/// <summary>
/// ComfyBridge as a real process, as the AppHost starts it, over its own database and the given ComfyUI servers.
/// Clients sign their caller identity as the gateway does, so tests act as any owner and role.
/// </summary>
public sealed class Bridge : IAsyncDisposable
{
    public const string IdentitySecret = "comfy-bridge-test-identity-secret";
    public const string WebhookSecret = "comfy-bridge-test-webhook-secret";

    private readonly Dictionary<string, string> _environment;
    private readonly List<HttpClient> _clients = [];
    private bool _stopped;

    private Bridge(Dictionary<string, string> environment, string outputDirectory)
    {
        _environment = environment;
        OutputDirectory = outputDirectory;
    }

    public ServiceProcess Process { get; private set; } = null!;

    public string OutputDirectory { get; }

    public string GrpcUrl => _environment["Kestrel__Endpoints__grpc__Url"];

    /// <summary>The database's connection string, for another replica to share it.</summary>
    public string Database => _environment["ConnectionStrings__fleetdb"];

    /// <summary>
    /// Starts a bridge over a new database, or over <paramref name="database"/> (a connection string) to run beside
    /// other replicas sharing it; give each of those its own <c>ComfyUI__BridgeId</c>, as replicas on one host must.
    /// </summary>
    public static async Task<Bridge> StartAsync(PostgresFixture postgres, IEnumerable<string> comfyServers, Dictionary<string, string>? settings = null,
        string? database = null)
    {
        var output = Directory.CreateTempSubdirectory("comfy-bridge-outputs-").FullName;
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__fleetdb"] = database ?? await postgres.Server.CreateDatabaseAsync(CancellationToken.None),
            ["Kestrel__Endpoints__http__Url"] = Url(),
            ["Kestrel__Endpoints__grpc__Url"] = Url(),
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["Identity__Secret"] = IdentitySecret,
            ["ComfyUI__OutputDirectory"] = output,
            ["ComfyUI__WebhookSecret"] = WebhookSecret,
            ["ComfyUI__WebhookInitialDelay"] = "00:00:00.200",
            // The test's webhook receiver listens on loopback.
            ["ComfyUI__AllowPrivateWebhooks"] = "true",
            ["ComfyUI__ReconcileInterval"] = "00:00:01",
        };
        var index = 0;
        foreach (var server in comfyServers)
        {
            environment[$"ComfyUI__Servers__{index++}"] = server;
        }
        foreach (var (key, value) in settings ?? [])
        {
            environment[key] = value;
        }
        var bridge = new Bridge(environment, output);
        await bridge.RestartAsync();
        return bridge;
    }

    /// <summary>Starts the process (again, after <see cref="KillAsync"/>) on the same ports, database and output folder.</summary>
    public async Task RestartAsync()
    {
        if (Process is not null && !_stopped)
        {
            await Process.DisposeAsync();
        }
        Process = await ServiceProcess.StartAsync(typeof(Bridge).Assembly, "ComfyBridge", _environment, CancellationToken.None);
        _stopped = false;
    }

    public Task KillAsync() => Process.KillAsync();

    /// <summary>Stops the process gracefully (SIGTERM), as Kubernetes stops a pod.</summary>
    public async Task StopAsync()
    {
        await Process.DisposeAsync();
        _stopped = true;
    }

    /// <summary>A client signed as <paramref name="owner"/> with <paramref name="role"/>, as the gateway forwards a key's calls.</summary>
    public HttpClient Client(string owner = "alice", CallerRole role = CallerRole.Operator)
    {
        var identity = new CallerIdentity($"key-{owner}", owner, role);
        var client = new HttpClient(new SignedIdentityHandler(new IdentitySigner(IdentitySecret), identity, new SocketsHttpHandler())) { BaseAddress = new Uri(Process.HttpUrl), Timeout = TimeSpan.FromSeconds(60) };
        _clients.Add(client);
        return client;
    }

    public async Task<ClientWebSocket> ConnectWebSocketAsync(string pathAndQuery, string owner, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        var path = pathAndQuery.Split('?')[0];
        new IdentitySigner(IdentitySecret).Sign(new CallerIdentity($"key-{owner}", owner, CallerRole.Operator), "GET", path, socket.Options.SetRequestHeader);
        await socket.ConnectAsync(new Uri(Process.HttpUrl.Replace("http://", "ws://") + pathAndQuery), cancellationToken);
        return socket;
    }

    public GrpcChannel GrpcChannel() => global::Grpc.Net.Client.GrpcChannel.ForAddress(GrpcUrl, new GrpcChannelOptions
    {
        HttpHandler = new SignedIdentityHandler(new IdentitySigner(IdentitySecret), CallerIdentity.Service("management-api"), new SocketsHttpHandler()),
    });

    /// <summary>Submits a workflow as <paramref name="client"/>'s owner and returns its id.</summary>
    public static async Task<Guid> SubmitAsync(HttpClient client, JsonObject workflow, CancellationToken cancellationToken, string? webhookUrl = null)
    {
        using var response = await client.PostAsJsonAsync("/v1/comfyui/workflow", new { workflow, webhookUrl }, cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"{response.StatusCode}: {body}");
        return Guid.Parse(body!["workflowId"]!.GetValue<string>());
    }

    public static async Task<JsonObject> GetAsync(HttpClient client, Guid id, CancellationToken cancellationToken) =>
        (await client.GetFromJsonAsync<JsonObject>($"/v1/comfyui/workflow/{id}", cancellationToken))!;

    /// <summary>Polls the workflow until <paramref name="done"/> holds, and returns it; fails after 30 s.</summary>
    public static async Task<JsonObject> WaitAsync(HttpClient client, Guid id, Func<JsonObject, bool> done, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonObject view;
        while (!done(view = await GetAsync(client, id, cancellationToken)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"workflow never got there: {view}");
            await Task.Delay(50, cancellationToken);
        }
        return view;
    }

    public static Task<JsonObject> WaitForStatusAsync(HttpClient client, Guid id, string status, CancellationToken cancellationToken) =>
        WaitAsync(client, id, v => v["status"]!.GetValue<string>() == status, cancellationToken);

    private static string Url() => $"http://127.0.0.1:{PortAllocator.GetFreePort()}";

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        if (!_stopped)
        {
            await Process.DisposeAsync();
        }
        Directory.Delete(OutputDirectory, recursive: true);
    }
}
