namespace AgentFleet.Bench.Harness;

/// <summary>Prints a figure beside its baseline and their ratio, one line each, easy to paste into a note.</summary>
public static class Report
{
    public static void Load(string label, LoadResult result) =>
        Console.WriteLine($"{label,-28} {result.PerSecond,10:N0} req/s   p50 {result.Percentile(50),7:0.000} ms   p99 {result.Percentile(99),7:0.000} ms   ({result.Requests:N0} requests, {result.Failures} failed)");

    public static void Ratio(string label, double figure, double baseline, string unit) =>
        Console.WriteLine($"{label,-28} {figure:N1} vs {baseline:N1} {unit}: ratio {figure / baseline:0.000}");
}
