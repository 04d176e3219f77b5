namespace AgentFleet.Hosting.ApplicationModel;

/// <summary>Where the app model keeps its state, and facts about this machine that launches need.</summary>
public sealed class HostingContext(string fleetHome, string environmentName)
{
    /// <summary>The <c>.fleet/</c> directory: data, secrets, the resource snapshot.</summary>
    public string FleetHome { get; } = fleetHome;

    public string EnvironmentName { get; } = environmentName;

    public string DotnetHost { get; } = ResolveDotnetHost();

    public bool IsRoot { get; } = Environment.UserName == "root";

    /// <summary>True when a Docker engine answered; servers then run as containers.</summary>
    public bool UseContainers { get; init; }

    private static string ResolveDotnetHost()
    {
        // Under `dotnet AppHost.dll` this is the muxer itself; under the native apphost, find it.
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (root is not null && File.Exists(Path.Combine(root, "dotnet")))
        {
            return Path.Combine(root, "dotnet");
        }
        return Infrastructure.Executables.Find("dotnet") ?? "dotnet";
    }
}
