namespace AgentFleet.Hosting;

/// <summary>Something the operator must fix before anything can start; reported as a message and exit code 1, not a crash.</summary>
public sealed class HostingConfigurationException(string message) : Exception(message);
