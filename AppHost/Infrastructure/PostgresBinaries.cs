namespace AgentFleet.AppHost.Infrastructure;

/// <summary>
/// PostgreSQL's server binaries from Debian's <c>postgresql</c> package: finding them, making a cluster with initdb,
/// and the postmaster's command line. PostgreSQL refuses to run as root, so as root both run as the
/// <c>postgres</c> user through <c>setpriv</c>, which execs in place: the pid a supervisor sees is the server's.
/// </summary>
public static class PostgresBinaries
{
    public const string MissingMessage =
        "PostgreSQL server binaries were not found. Install them (apt-get install postgresql), "
        + "or point the services at an existing server with ConnectionStrings__fleetdb.";

    public static bool IsRoot => Environment.UserName == "root";

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
    public static async Task InitializeAsync(string binDirectory, string dataDirectory, string password, CancellationToken cancellationToken)
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
        Configuration.PrivateFile.Write(passwordFile, password);
        try
        {
            if (IsRoot)
            {
                await ChownToPostgresAsync(scratch, cancellationToken);
                await ChownToPostgresAsync(passwordFile, cancellationToken);
            }
            var (command, arguments) = AsServerUser(Path.Combine(binDirectory, "initdb"),
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

    /// <summary>The postmaster's arguments: loopback only, no Unix socket to clash with a system cluster.</summary>
    public static IReadOnlyList<string> ServerArguments(string dataDirectory, string port) =>
        ["-D", dataDirectory, "-p", port, "-c", "listen_addresses=localhost", "-c", "unix_socket_directories=", "-c", "max_connections=200"];

    /// <summary>Runs a server program as the postgres user when we are root.</summary>
    public static (string Command, IReadOnlyList<string> Arguments) AsServerUser(string program, IReadOnlyList<string> arguments) =>
        IsRoot
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
