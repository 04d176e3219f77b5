namespace AgentFleet.AppHost.Configuration;

/// <summary>A configuration problem the operator must fix before the AppHost can run: printed plainly, exit code 1.</summary>
public sealed class HostingConfigurationException(string message) : Exception(message);
