namespace AgentFleet.Hosting.ApplicationModel;

/// <summary>Linux signal numbers.</summary>
public static class Signals
{
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
}
