using AgentFleet.Tools.FleetMcp;

// fleet-mcp: the fleet's MCP server for clients that only spawn local (stdio) servers. It relays each line of stdin
// to the fleet and each answer to stdout, one JSON-RPC message per line:
//   fleet-mcp http://localhost:9090 <key>    Streamable HTTP at <url>/mcp, through the gateway
//   fleet-mcp tcp://localhost:9500 <key>     the agent-control port (authenticated first)
// The key may come from FLEET_API_KEY instead of the command line, where other users' `ps` would show it.
if (args.Length is < 1 or > 2 || !Uri.TryCreate(args[0], UriKind.Absolute, out var fleet) || fleet.Scheme is not ("http" or "https" or "tcp"))
{
    Console.Error.WriteLine("usage: fleet-mcp <http(s)://gateway | tcp://host:port> [api key]   (or the key in FLEET_API_KEY)");
    return 2;
}
var key = args.Length == 2 ? args[1] : Environment.GetEnvironmentVariable("FLEET_API_KEY");
if (string.IsNullOrEmpty(key))
{
    Console.Error.WriteLine("fleet-mcp: no API key (give it as the second argument or in FLEET_API_KEY).");
    return 2;
}
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
var stdin = Console.OpenStandardInput();
var stdout = Console.OpenStandardOutput();
try
{
    return fleet.Scheme == "tcp"
        ? await TcpRelay.RunAsync(fleet, key, stdin, stdout, stop.Token)
        : await HttpRelay.RunAsync(fleet, key, stdin, stdout, stop.Token);
}
catch (RelayException e)
{
    Console.Error.WriteLine($"fleet-mcp: {e.Message}");
    return 1;
}
