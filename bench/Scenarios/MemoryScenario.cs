using AgentFleet.Bench.Harness;
using AgentFleet.Testing;

namespace AgentFleet.Bench.Scenarios;

/// <summary>
/// Each service's resident memory after a spell idle, wired as the AppHost wires it, split into anonymous memory
/// (heaps, JIT'd code), file-backed pages (mapped assemblies and native libraries) and shared memory (the runtime
/// maps executable code twice for W^X): as built (the Web SDK's
/// server GC, the baseline), then with workstation, non-concurrent GC forced through DOTNET_gcServer=0 and
/// DOTNET_gcConcurrent=0, to show what the GC mode is worth. Beside them, the floor: an ASP.NET Core service with
/// nothing of the fleet in it (bench/Floor), started and probed the same way, which is what the runtime and
/// framework alone keep resident here.
/// </summary>
public sealed class MemoryScenario : IScenario
{
    private static readonly string[] Services = ["Gateway", "ManagementApi", "SessionRunner", "ZaiProxy", "ComfyBridge", "Floor"];

    public string Name => "memory";

    public string Description => "resident memory (VmRSS, anonymous + file) of each service after a minute idle: as built vs workstation GC";

    public async Task RunAsync(BenchOptions options)
    {
        var idle = TimeSpan.FromSeconds(options.Quick ? 20 : 60);
        await using var postgres = await LocalServer.StartPostgresAsync(CancellationToken.None);
        await using var redis = await LocalServer.StartRedisAsync(CancellationToken.None);
        var built = await MeasureAsync(postgres, redis, idle, []);
        var workstation = await MeasureAsync(postgres, redis, idle, new() { ["DOTNET_gcServer"] = "0", ["DOTNET_gcConcurrent"] = "0" });
        Console.WriteLine($"{"service",-16} {"as built: rss (anon + file + shmem)",40} {"pss",8} {"uss",8} {"workstation GC: rss (anon + file + shmem)",46}");
        foreach (var service in Services)
        {
            var (a, b) = (built[service], workstation[service]);
            Console.WriteLine($"{service,-16} {a.Rss,13:0.0} MB ({a.Anonymous,5:0.0} + {a.File,5:0.0} + {a.Shared,5:0.0}) {a.Pss,8:0.0} {a.Uss,8:0.0} {b.Rss,19:0.0} MB ({b.Anonymous,5:0.0} + {b.File,5:0.0} + {b.Shared,5:0.0})");
        }
        var fleet = built.Where(m => m.Key != "Floor").Select(m => m.Value).ToList();
        Report.Ratio("largest resident set", workstation.Where(m => m.Key != "Floor").Max(m => m.Value.Rss), fleet.Max(m => m.Rss), "MB");
        Report.Ratio("largest service over the floor", fleet.Max(m => m.Rss), built["Floor"].Rss, "MB");
    }

    /// <summary>
    /// Besides VmRSS and its parts: PSS (each page shared with other processes counted by its share) and USS (pages of
    /// this process alone), from smaps_rollup. The five services map the same runtime and framework files, so their
    /// RSS counts those pages five times over; USS is what one more service would add.
    /// </summary>
    private sealed record Resident(double Rss, double Anonymous, double File, double Shared, double Pss, double Uss);

    private static async Task<Dictionary<string, Resident>> MeasureAsync(LocalServer postgres, LocalServer redis, TimeSpan idle, Dictionary<string, string> gc)
    {
        var database = await postgres.CreateDatabaseAsync(CancellationToken.None);
        Dictionary<string, string> Wired(Dictionary<string, string> own)
        {
            var environment = new Dictionary<string, string>(gc)
            {
                ["ConnectionStrings__fleetdb"] = database,
                ["ConnectionStrings__redis"] = redis.ConnectionString,
                ["Identity__Secret"] = BenchIdentity.Secret,
                ["SessionKeys__Secret"] = "bench-session-key-secret",
            };
            foreach (var (key, value) in own)
            {
                environment[key] = value;
            }
            return environment;
        }
        string Grpc() => BenchServices.FreeUrl();
        var scratch = Path.Combine(Path.GetTempPath(), $"fleet-bench-memory-{Guid.NewGuid():N}");
        var runnerGrpc = Grpc();
        var proxyGrpc = Grpc();
        var bridgeGrpc = Grpc();
        var apiGrpc = Grpc();
        var processes = new Dictionary<string, ServiceProcess>();
        try
        {
            processes["ZaiProxy"] = await BenchServices.StartAsync("ZaiProxy", Wired(new()
            {
                ["Kestrel__Endpoints__grpc__Url"] = proxyGrpc, ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
                ["Upstream__Simulated"] = "true", ["Usage__SpoolDirectory"] = Path.Combine(scratch, "spool"),
            }));
            processes["SessionRunner"] = await BenchServices.StartAsync("SessionRunner", Wired(new()
            {
                ["Kestrel__Endpoints__grpc__Url"] = runnerGrpc, ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
                ["SessionRunner__Root"] = Path.Combine(scratch, "runner"), ["services__zai-proxy__http__0"] = processes["ZaiProxy"].HttpUrl,
            }));
            processes["ComfyBridge"] = await BenchServices.StartAsync("ComfyBridge", Wired(new()
            {
                ["Kestrel__Endpoints__grpc__Url"] = bridgeGrpc, ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
                ["ComfyUI__OutputDirectory"] = Path.Combine(scratch, "outputs"),
            }));
            processes["ManagementApi"] = await BenchServices.StartAsync("ManagementApi", Wired(new()
            {
                ["Kestrel__Endpoints__grpc__Url"] = apiGrpc, ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
                ["services__session-runner__grpc__0"] = runnerGrpc, ["services__session-runner__http__0"] = processes["SessionRunner"].HttpUrl,
                ["services__zai-proxy__http__0"] = processes["ZaiProxy"].HttpUrl, ["services__comfy-bridge__grpc__0"] = bridgeGrpc,
                ["services__comfy-bridge__http__0"] = processes["ComfyBridge"].HttpUrl,
            }));
            processes["Gateway"] = await BenchServices.StartAsync("Gateway", Wired(new()
            {
                ["MANAGEMENT_API_KEY"] = "bench-admin-key",
                ["services__management-api__http__0"] = processes["ManagementApi"].HttpUrl, ["services__management-api__grpc__0"] = apiGrpc,
                ["services__zai-proxy__http__0"] = processes["ZaiProxy"].HttpUrl, ["services__comfy-bridge__http__0"] = processes["ComfyBridge"].HttpUrl,
            }));
            processes["Floor"] = await BenchServices.StartAsync("Floor", Wired([]));
            // One request each, as a health probe would make, then nothing.
            using var http = new HttpClient();
            foreach (var process in processes.Values)
            {
                using var _ = await http.GetAsync(process.HttpUrl + "/health");
            }
            await Task.Delay(idle);
            return processes.ToDictionary(p => p.Key, p => ResidentOf(p.Value.Pid));
        }
        finally
        {
            foreach (var process in processes.Values)
            {
                await process.DisposeAsync();
            }
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static Resident ResidentOf(int pid)
    {
        var status = File.ReadLines($"/proc/{pid}/status").ToList();
        double Megabytes(string field) =>
            long.Parse(status.First(l => l.StartsWith(field + ":", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        var rollup = File.ReadLines($"/proc/{pid}/smaps_rollup").ToList();
        double Rolled(string field) =>
            long.Parse(rollup.First(l => l.StartsWith(field + ":", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return new Resident(Megabytes("VmRSS"), Megabytes("RssAnon"), Megabytes("RssFile"), Megabytes("RssShmem"),
            Rolled("Pss"), Rolled("Private_Clean") + Rolled("Private_Dirty"));
    }
}
