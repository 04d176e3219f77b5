using AgentFleet.Bench.Harness;
using AgentFleet.Bench.Scenarios;

// dotnet run --project bench -c Release -- <scenario> [--quick]
IScenario[] scenarios = [new ServiceDefaultsScenario(), new GrpcUnaryScenario(), new RedisScenario(), new SessionsScenario(), new ZaiProxyScenario(), new GatewayScenario(), new MemoryScenario(), new ConsoleScenario()];

var name = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal));
var scenario = scenarios.FirstOrDefault(s => s.Name == name);
if (scenario is null)
{
    Console.Error.WriteLine("usage: dotnet run --project bench -c Release -- <scenario> [--quick]");
    Console.Error.WriteLine("scenarios:");
    foreach (var s in scenarios)
    {
        Console.Error.WriteLine($"  {s.Name,-18} {s.Description}");
    }
    return 2;
}

var options = new BenchOptions(Quick: args.Contains("--quick"));
Console.WriteLine($"# {scenario.Name}: {scenario.Description}");
Console.WriteLine($"# {Environment.ProcessorCount} cores, .NET {Environment.Version}, {(options.Quick ? "quick" : "full")} run");
await scenario.RunAsync(options);
return 0;
