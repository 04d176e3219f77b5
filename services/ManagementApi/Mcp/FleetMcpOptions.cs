namespace AgentFleet.ManagementApi.Mcp;

/// <summary>The <c>Mcp</c> configuration section: the fleet's MCP server, and its JSON-RPC port for agent control.</summary>
public sealed class FleetMcpOptions
{
    public const string Section = "Mcp";

    /// <summary>How deep a tree of sessions may grow: 1 is a session a person started, 2 its children (the default), and so on.</summary>
    public int MaxDepth { get; set; } = 2;

    /// <summary>The TCP port of the JSON-RPC agent-control transport (<c>AGENT_CONTROL_PORT</c>, 9500); 0: none.</summary>
    public int AgentControlPort { get; set; }

    /// <summary>The address the port is bound to: loopback unless configured otherwise.</summary>
    public string AgentControlAddress { get; set; } = "127.0.0.1";

    /// <summary>Connections served at once; more wait in the kernel's backlog.</summary>
    public int MaxConnections { get; set; } = 256;

    /// <summary>The longest message (one line) a client may send, in bytes.</summary>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>Messages waiting for a client that does not read; past this it is disconnected, with the reason.</summary>
    public int MaxQueuedMessages { get; set; } = 1024;

    /// <summary>How long a client may take to authenticate after connecting.</summary>
    public double AuthenticateTimeoutSeconds { get; set; } = 30;
}
