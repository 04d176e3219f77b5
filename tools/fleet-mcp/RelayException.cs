namespace AgentFleet.Tools.FleetMcp;

/// <summary>The relay cannot go on (the fleet refused the key, or cannot be reached); the message says why.</summary>
public sealed class RelayException(string message) : Exception(message);
