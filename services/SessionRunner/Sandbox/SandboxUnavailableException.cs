namespace AgentFleet.SessionRunner.Sandbox;

/// <summary>The sandbox the configuration asks for cannot be had on this host; no agent starts unconfined instead.</summary>
public sealed class SandboxUnavailableException(string message) : Exception(message);
