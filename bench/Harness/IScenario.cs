namespace AgentFleet.Bench.Harness;

/// <summary>A measurement beside its baseline, both taken in the same run.</summary>
public interface IScenario
{
    string Name { get; }

    string Description { get; }

    Task RunAsync(BenchOptions options);
}

/// <summary><c>--quick</c> shortens warm-up and measurement for a smoke run; figures from it are rough.</summary>
public sealed record BenchOptions(bool Quick)
{
    public TimeSpan Warmup => Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(3);

    public TimeSpan Duration => Quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(10);
}
