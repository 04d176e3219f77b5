using AgentFleet.Hosting.ApplicationModel;

namespace AgentFleet.Hosting.Infrastructure;

/// <summary>Redis from the installed server binary (Debian's <c>redis-server</c> package).</summary>
public static class LocalRedis
{
    public const string MissingMessage =
        "redis-server was not found. Install it (apt-get install redis-server), "
        + "or point the services at an existing server with ConnectionStrings__redis.";

    public static string? FindServer() => Executables.Find("redis-server") ?? (File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : null);

    /// <summary>Loopback only, password required, snapshots in <paramref name="dataDirectory"/>.</summary>
    public static LaunchSpec Launch(string server, string dataDirectory, int port, string password, bool appendOnly = false)
    {
        Directory.CreateDirectory(dataDirectory);
        // The password goes in a file only we can read, not on the command line where `ps` shows it.
        var config = Path.Combine(dataDirectory, "redis.conf");
        var text = string.Join('\n',
            $"port {port}", "bind 127.0.0.1", $"dir \"{dataDirectory}\"", $"requirepass {password}",
            "daemonize no", "save 60 1", appendOnly ? "appendonly yes\nappendfsync always" : "appendonly no", "");
        PrivateFile.Write(config, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return new LaunchSpec(server, [config], dataDirectory);
    }

    /// <summary>The form Aspire writes: <c>host:port,password=...</c>.</summary>
    public static string ConnectionString(int port, string password) => $"127.0.0.1:{port},password={password}";
}
