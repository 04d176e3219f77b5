using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.Bench.Harness;
using AgentFleet.Testing;
using Microsoft.Playwright;

namespace AgentFleet.Bench.Scenarios;

/// <summary>
/// The web console in Debian's Chromium: how long a session with 50,000 events takes to open (its first events on
/// screen, then all of them loaded), beside the same events read as JSON pages straight from the API; and how smooth
/// the page stays (frame intervals) while a session streams 1,000 events a second into it.
/// </summary>
public sealed class ConsoleScenario : IScenario
{
    private const string AdminKey = "bench-admin-key";

    public string Name => "console";

    public string Description => "web console: a 50,000-event session opened in the browser, vs the API's JSON pages; frame times while streaming";

    public async Task RunAsync(BenchOptions options)
    {
        var events = 50_000;
        await using var postgres = await LocalServer.StartPostgresAsync(CancellationToken.None);
        await using var redis = await LocalServer.StartRedisAsync(CancellationToken.None);
        var shared = new Dictionary<string, string>
        {
            ["ConnectionStrings__fleetdb"] = postgres.ConnectionString,
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["Identity__Secret"] = BenchIdentity.Secret,
        };
        var runnerGrpc = BenchServices.FreeUrl();
        var root = Path.Combine(Path.GetTempPath(), $"fleet-bench-console-{Guid.NewGuid():N}");
        await using var runner = await BenchServices.StartAsync("SessionRunner", new(shared)
        {
            ["Kestrel__Endpoints__grpc__Url"] = runnerGrpc,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["SessionRunner__Root"] = root,
        });
        var apiGrpc = BenchServices.FreeUrl();
        await using var api = await BenchServices.StartAsync("ManagementApi", new(shared)
        {
            ["Kestrel__Endpoints__grpc__Url"] = apiGrpc,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["services__session-runner__grpc__0"] = runnerGrpc,
        });
        var gatewayUrl = BenchServices.FreeUrl();
        var consoleUrl = BenchServices.FreeUrl();
        var gatewayEnvironment = new Dictionary<string, string>(shared)
        {
            ["MANAGEMENT_API_KEY"] = AdminKey,
            ["services__management-api__http__0"] = api.HttpUrl,
            ["services__management-api__grpc__0"] = apiGrpc,
            ["services__zai-proxy__http__0"] = BenchServices.FreeUrl(),
            ["services__comfy-bridge__http__0"] = BenchServices.FreeUrl(),
            ["services__console__http__0"] = consoleUrl,
            ["RateLimiting__Policies__default__PermitLimit"] = "1000000",
        };
        await using var gateway = await BenchServices.StartAsync("Gateway", gatewayEnvironment, gatewayUrl);
        await using var console = await BenchServices.StartAsync("FleetConsole", new()
        {
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["services__gateway__http__0"] = gatewayUrl,
        }, consoleUrl);
        using var http = new HttpClient { BaseAddress = new Uri(gatewayUrl), Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        // A finished session with 50,000 log events.
        var id = await StartAsync(http, ["python3", "-c", $"import sys\nfor i in range({events}): sys.stdout.write(f'line {{i}}\\n')"], "50,000 lines");
        var total = await WaitForEndAsync(http, id);

        // Baseline: the same events as the API gives them, page after page of 5,000.
        var clock = Stopwatch.StartNew();
        long since = 0;
        var read = 0;
        while (true)
        {
            var page = (await http.GetFromJsonAsync<JsonObject>($"/v1/sessions/{id}/messages?since={since}&limit=5000"))!;
            var count = page["events"]!.AsArray().Count;
            read += count;
            since = page["nextSince"]!.GetValue<long>();
            if (count < 5000)
            {
                break;
            }
        }
        var apiSeconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"{"API JSON pages (baseline)",-34} {read:N0} events in {apiSeconds * 1000,7:N0} ms");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = gatewayUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        var tab = await context.NewPageAsync();
        await tab.GotoAsync("/signin");
        await tab.GetByLabel("API key").FillAsync(AdminKey);
        await tab.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await tab.GetByTestId("sessions").WaitForAsync();

        for (var run = 1; run <= (options.Quick ? 1 : 3); run++)
        {
            clock.Restart();
            await tab.GotoAsync($"/sessions/{id}");
            await tab.GetByText("line 0", new() { Exact = true }).WaitForAsync(new() { Timeout = 60_000 });
            var first = clock.Elapsed.TotalSeconds;
            await tab.GetByTestId("event-count").Filter(new() { HasText = $"{total:N0}".Replace(",", "") + " events" }).WaitForAsync(new() { Timeout = 120_000 });
            var all = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"{$"console, open {total:N0} events (run {run})",-34} first on screen {first * 1000,7:N0} ms   all loaded {all * 1000,7:N0} ms");
            Report.Ratio($"all loaded vs API (run {run})", all, apiSeconds, "s");
        }

        // Smoothness: frame intervals while a session streams 1,000 events a second into the open page.
        var streaming = await StartAsync(http, ["python3", "-c", "import sys,time\nfor i in range(8000):\n    sys.stdout.write(f'tick {i}\\n'); sys.stdout.flush(); time.sleep(0.001)"], "streaming");
        await tab.GotoAsync($"/sessions/{streaming}");
        await tab.GetByText("tick 0", new() { Exact = true }).WaitForAsync(new() { Timeout = 60_000 });
        var frames = await tab.EvaluateAsync<double[]>("""
            () => new Promise(done => {
                const gaps = []; let last = performance.now(); const end = last + 5000;
                const step = now => { gaps.push(now - last); last = now; if (now < end) requestAnimationFrame(step); else done(gaps); };
                requestAnimationFrame(step);
            })
            """);
        Array.Sort(frames);
        Console.WriteLine($"{"frames while streaming",-34} {frames.Length} frames in 5 s   p50 {frames[frames.Length / 2],5:0.0} ms   p99 {frames[(int)(frames.Length * 0.99)],6:0.0} ms   max {frames[^1],6:0.0} ms");
        await WaitForEndAsync(http, streaming);
        Directory.Delete(root, recursive: true);
    }

    private static async Task<string> StartAsync(HttpClient http, string[] command, string task)
    {
        using var response = await http.PostAsJsonAsync("/v1/sessions", new { agent = "command", command, task });
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return body["sessionId"]?.GetValue<string>() ?? throw new InvalidOperationException(body.ToJsonString());
    }

    /// <summary>Waits for the session to end; its number of events.</summary>
    private static async Task<long> WaitForEndAsync(HttpClient http, string id)
    {
        while (true)
        {
            var session = (await http.GetFromJsonAsync<JsonObject>($"/v1/sessions/{id}"))!;
            if (session["status"]!.GetValue<string>() is "completed" or "failed" or "stopped")
            {
                return session["lastSequence"]!.GetValue<long>();
            }
            await Task.Delay(250);
        }
    }
}
