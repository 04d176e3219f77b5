namespace AgentFleet.AppHost.Supervision;

/// <summary>One AppHost per <c>.fleet</c>: two PostgreSQL servers on one data directory would corrupt it.</summary>
public static class RunLock
{
    /// <summary>The held lock, or null when another AppHost holds it.</summary>
    public static FileStream? TryAcquire(string fleetHome)
    {
        var path = Path.Combine(fleetHome, "apphost", "lock");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            // FileShare.None is an exclusive lock on Unix: released by the kernel even if we are killed.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
