using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.Testing;
using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(AgentFleet.Console.Tests.Fixtures.ConsoleFixture))]

namespace AgentFleet.Console.Tests.Fixtures;

/// <summary>
/// The fleet as the AppHost wires it, minus ComfyBridge: PostgreSQL, Redis, ZaiProxy (simulated model), SessionRunner
/// with the real Claude Code CLI, ManagementApi, the gateway, and the console behind it; and Debian's Chromium,
/// driven by Playwright. Screenshots go to <see cref="Screenshots"/>.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public const string AdminKey = "console-test-admin-key";
    private const string IdentitySecret = "console-test-identity-secret";
    private const string SessionKeySecret = "console-test-session-key-secret";

    private readonly List<ServiceProcess> _owned = [];
    private LocalServer _postgres = null!;
    private LocalServer _redis = null!;
    private IPlaywright _playwright = null!;
    private AgentFleet.ComfyBridge.Tests.Fixtures.ComfyUiServer _comfyUi = null!;

    public IBrowser Browser { get; private set; } = null!;

    private Dictionary<string, string> _consoleEnvironment = [];
    private ServiceProcess _console = null!;

    /// <summary>Kills the console (SIGKILL) and starts it again on the same port, as a crash and a restart would.</summary>
    public async Task RestartConsoleAsync()
    {
        await _console.KillAsync();
        _console = await StartAsync("FleetConsole", _consoleEnvironment);
    }

    /// <summary>The gateway, where people reach the console at /.</summary>
    public string Url { get; private set; } = null!;

    public static string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "console-screenshots");

    public async ValueTask InitializeAsync()
    {
        var ct = CancellationToken.None;
        var postgres = LocalServer.StartPostgresAsync(ct);
        _redis = await LocalServer.StartRedisAsync(ct);
        _postgres = await postgres;
        var shared = new Dictionary<string, string>
        {
            ["ConnectionStrings__fleetdb"] = await _postgres.CreateDatabaseAsync(ct),
            ["ConnectionStrings__redis"] = _redis.ConnectionString,
            ["Identity__Secret"] = IdentitySecret,
        };
        var proxyGrpc = LocalUrl();
        var proxy = await StartAsync("ZaiProxy", new(shared)
        {
            ["Kestrel__Endpoints__grpc__Url"] = proxyGrpc,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["Upstream__Simulated"] = "true",
            ["SessionKeys__Secret"] = SessionKeySecret,
            ["Usage__SpoolDirectory"] = Path.Combine(Path.GetTempPath(), $"fleet-console-spool-{Guid.NewGuid():N}"),
        });
        var runnerGrpc = LocalUrl();
        await StartAsync("SessionRunner", new(shared)
        {
            ["Kestrel__Endpoints__grpc__Url"] = runnerGrpc,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["SessionRunner__Root"] = Path.Combine(Path.GetTempPath(), $"fleet-console-runner-{Guid.NewGuid():N}"),
            ["SessionRunner__Claude__Path"] = ClaudeCli.Path,
            ["SessionRunner__Claude__AnthropicBaseUrl"] = proxy.HttpUrl,
            ["SessionRunner__Command__AllowedRoles__0"] = "operator",
            ["SessionKeys__Secret"] = SessionKeySecret,
        });
        _comfyUi = await AgentFleet.ComfyBridge.Tests.Fixtures.ComfyUiServer.StartAsync();
        var comfyGrpc = LocalUrl();
        var bridge = await StartAsync("ComfyBridge", new(shared)
        {
            ["Kestrel__Endpoints__grpc__Url"] = comfyGrpc,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["ComfyUI__Servers__0"] = _comfyUi.Url,
            ["ComfyUI__OutputDirectory"] = Path.Combine(Path.GetTempPath(), $"fleet-console-comfy-{Guid.NewGuid():N}"),
        });
        var apiGrpc = LocalUrl();
        var api = await StartAsync("ManagementApi", new(shared)
        {
            ["Kestrel__Endpoints__grpc__Url"] = apiGrpc,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["services__session-runner__grpc__0"] = runnerGrpc,
            ["services__zai-proxy__grpc__0"] = proxyGrpc,
            ["services__comfy-bridge__grpc__0"] = comfyGrpc,
            ["SessionKeys__Secret"] = SessionKeySecret,
        });
        Url = LocalUrl();
        var consoleUrl = LocalUrl();
        var gateway = StartAsync("Gateway", new(shared)
        {
            ["Kestrel__Endpoints__http__Url"] = Url,
            ["MANAGEMENT_API_KEY"] = AdminKey,
            ["services__management-api__http__0"] = api.HttpUrl,
            ["services__management-api__grpc__0"] = apiGrpc,
            ["services__zai-proxy__http__0"] = proxy.HttpUrl,
            ["services__session-runner__grpc__0"] = runnerGrpc,
            ["services__comfy-bridge__http__0"] = bridge.HttpUrl,
            ["services__console__http__0"] = consoleUrl,
            // The browser tests sign in and out many times from one address.
            ["RateLimiting__Policies__default__PermitLimit"] = "100000",
            ["RateLimiting__Policies__console__PermitLimit"] = "100000",
        });
        _consoleEnvironment = new()
        {
            ["Kestrel__Endpoints__http__Url"] = consoleUrl,
            ["ConnectionStrings__redis"] = _redis.ConnectionString,
            ["services__gateway__http__0"] = Url,
        };
        _console = await StartAsync("FleetConsole", _consoleEnvironment);
        await gateway;
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            // This machine's network is closed: Chromium's own background traffic only fails and slows it.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        Directory.CreateDirectory(Screenshots);
    }

    /// <summary>A page in a fresh browser context (its own cookies), at <paramref name="width"/> × <paramref name="height"/>.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 800)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Url, ViewportSize = new ViewportSize { Width = width, Height = height } });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>Signs in through the page, as a person does.</summary>
    public static async Task SignInAsync(IPage page, string key)
    {
        await page.GotoAsync("/signin");
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    /// <summary>A client of the fleet's API through the gateway with <paramref name="key"/>.</summary>
    public HttpClient Api(string key)
    {
        var client = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public async Task<string> CreateKeyAsync(string role, string owner, CancellationToken cancellationToken)
    {
        using var admin = Api(AdminKey);
        using var response = await admin.PostAsJsonAsync("/v1/keys", new { name = $"{owner} {role}", role, owner }, cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        Assert.True(response.IsSuccessStatusCode, body?.ToJsonString());
        return body!["key"]!.GetValue<string>();
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"{name}.png"), FullPage = true });

    private async Task<ServiceProcess> StartAsync(string name, Dictionary<string, string> environment)
    {
        environment.TryAdd("Kestrel__Endpoints__http__Url", LocalUrl());
        var process = await ServiceProcess.StartAsync(typeof(ConsoleFixture).Assembly, name, environment, CancellationToken.None);
        lock (_owned)
        {
            _owned.Add(process);
        }
        return process;
    }

    private static string LocalUrl() => $"http://127.0.0.1:{PortAllocator.GetFreePort()}";

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        foreach (var process in Enumerable.Reverse(_owned))
        {
            await process.DisposeAsync();
        }
        if (_comfyUi is not null)
        {
            await _comfyUi.DisposeAsync();
        }
        await _redis.DisposeAsync();
        await _postgres.DisposeAsync();
    }
}
