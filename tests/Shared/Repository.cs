namespace AgentFleet.Testing;

public static class Repository
{
    /// <summary>The repository's root, found above the test assembly.</summary>
    public static string Root()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Aspire.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException($"No Aspire.sln above {AppContext.BaseDirectory}.");
    }
}
