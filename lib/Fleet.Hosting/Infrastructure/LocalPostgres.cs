using AgentFleet.Hosting.ApplicationModel;

namespace AgentFleet.Hosting.Infrastructure;

/// <summary>
/// PostgreSQL from the installed server binaries (Debian's <c>postgresql</c> package): a cluster made
/// with initdb under the given directory, run as the <c>postgres</c> user when we are root, because
/// PostgreSQL refuses to run as root.
/// </summary>
public static class LocalPostgres
{
    public const string MissingMessage =
        "PostgreSQL server binaries were not found. Install them (apt-get install postgresql), "
        + "or point the services at an existing server with ConnectionStrings__fleetdb.";

    /// <summary>The directory holding initdb and postgres: the newest /usr/lib/postgresql/N/bin, else PATH.</summary>
    public static string? FindBinDirectory()
    {
        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "postgres")) && File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return debian ?? (Executables.Find("postgres") is { } onPath ? Path.GetDirectoryName(onPath) : null);
    }

    /// <summary>Creates the cluster in <paramref name="dataDirectory"/> unless one is there; the superuser is postgres.</summary>
    public static async Task InitializeAsync(string binDirectory, string dataDirectory, string password, bool asPostgresUser, CancellationToken cancellationToken)
    {
        if (File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
        {
            return;
        }
        // initdb works in a scratch directory renamed only when it succeeded: an interrupted initdb
        // must not leave a half-made cluster that later starts would take for a real one.
        var scratch = dataDirectory + ".initdb";
        if (Directory.Exists(scratch))
        {
            Directory.Delete(scratch, recursive: true);
        }
        Directory.CreateDirectory(scratch);
        var passwordFile = Path.Combine(Path.GetDirectoryName(dataDirectory)!, ".initdb-password");
        PrivateFile.Write(passwordFile, password);
        try
        {
            if (asPostgresUser)
            {
                await ChownToPostgresAsync(scratch, cancellationToken);
                await ChownToPostgresAsync(passwordFile, cancellationToken);
            }
            var (command, arguments) = AsUser(asPostgresUser, Path.Combine(binDirectory, "initdb"),
                ["-D", scratch, "-U", "postgres", "--pwfile", passwordFile, "--auth-host=scram-sha-256", "--auth-local=peer", "-E", "UTF8", "--no-locale", "--no-instructions"]);
            var (exitCode, output) = await Executables.RunAsync(command, arguments, TimeSpan.FromMinutes(2), cancellationToken);
            if (exitCode != 0)
            {
                throw new InvalidOperationException($"initdb failed ({exitCode}): {output}");
            }
            Directory.Move(scratch, dataDirectory);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    /// <summary>The postmaster on 127.0.0.1 only, with no Unix socket to clash with a system cluster.</summary>
    public static LaunchSpec Launch(string binDirectory, string dataDirectory, int port, bool asPostgresUser)
    {
        var (command, arguments) = AsUser(asPostgresUser, Path.Combine(binDirectory, "postgres"),
            ["-D", dataDirectory, "-p", port.ToString(), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"]);
        return new LaunchSpec(command, arguments, dataDirectory) { StopSignal = Signals.SIGINT };
    }

    public static string ConnectionString(int port, string password, string database) =>
        $"Host=127.0.0.1;Port={port};Username=postgres;Password={password};Database={database}";

    /// <summary>Runs a server program as the postgres user; setpriv execs in place, so the pid stays the server's.</summary>
    private static (string Command, IReadOnlyList<string> Arguments) AsUser(bool asPostgresUser, string program, IReadOnlyList<string> arguments) =>
        asPostgresUser
            ? ("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", program, .. arguments])
            : (program, arguments);

    private static async Task ChownToPostgresAsync(string path, CancellationToken cancellationToken)
    {
        var (exitCode, output) = await Executables.RunAsync("chown", ["-R", "postgres:postgres", path], TimeSpan.FromSeconds(30), cancellationToken);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"chown of {path} to postgres failed: {output}");
        }
    }
}
