using System.Diagnostics;
using System.Reflection;

namespace AgentFleet.Testing;

/// <summary>Runs tools/fleet-mcp (the stdio relay) as an MCP client that spawns local servers would.</summary>
public static class FleetMcpRelay
{
    /// <summary>Writes <paramref name="lines"/> to its stdin, closes it, and returns what it printed, a line per message.</summary>
    public static async Task<List<string>> RunAsync(Assembly referencing, string fleet, string key, IEnumerable<string> lines, CancellationToken cancellationToken)
    {
        var program = referencing.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "AssemblyPath:fleet-mcp").Value!;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(program);
        start.ArgumentList.Add(fleet);
        // The key in the environment, as the relay recommends: not on a command line others can read.
        start.Environment["FLEET_API_KEY"] = key;
        using var relay = Process.Start(start)!;
        var output = relay.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = relay.StandardError.ReadToEndAsync(cancellationToken);
        foreach (var line in lines)
        {
            await relay.StandardInput.WriteLineAsync(line.AsMemory(), cancellationToken);
        }
        await relay.StandardInput.FlushAsync(cancellationToken);
        // Answers to what is in flight still arrive after stdin closes.
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        relay.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await relay.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            relay.Kill(entireProcessTree: true);
            throw new TimeoutException($"fleet-mcp did not exit: {await errors}");
        }
        if (relay.ExitCode != 0)
        {
            throw new InvalidOperationException($"fleet-mcp exited {relay.ExitCode}: {await errors}");
        }
        return [.. (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }
}
