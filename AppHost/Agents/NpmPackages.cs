using System.Diagnostics;

namespace AgentFleet.AppHost.Agents;

/// <summary>
/// npm packages the fleet and its tests need (the Claude Code CLI, <c>@grpc/grpc-js</c>), installed by whoever needs them
/// (the AppHost, a test): <c>npm ci</c> runs once when <c>node_modules</c> is missing or older than
/// <c>package-lock.json</c>, so neither <c>dotnet run</c> nor <c>dotnet test</c> on a fresh clone needs anything typed first. Test assemblies run in parallel: a lock file makes one install at a time
/// per folder, and the others find it done.
/// </summary>
public static class NpmPackages
{
    public static void EnsureInstalled(string directory, Action? onInstall = null)
    {
        if (IsCurrent(directory))
        {
            return;
        }
        using var gate = Lock(Path.Combine(directory, ".npm-ci.lock"));
        if (IsCurrent(directory))
        {
            return;
        }
        onInstall?.Invoke();
        var start = new ProcessStartInfo("npm") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "ci", "--prefix", directory, "--no-audit", "--no-fund", "--loglevel=error" })
        {
            start.ArgumentList.Add(argument);
        }
        using var npm = Process.Start(start) ?? throw new InvalidOperationException("npm could not be started; install Node.js and npm.");
        var output = npm.StandardOutput.ReadToEndAsync();
        var errors = npm.StandardError.ReadToEnd();
        npm.WaitForExit();
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm ci in {directory} failed with exit code {npm.ExitCode}: {errors}{output.Result}");
        }
    }

    // npm writes node_modules/.package-lock.json last, from the lock it installed.
    private static bool IsCurrent(string directory)
    {
        var installed = new FileInfo(Path.Combine(directory, "node_modules", ".package-lock.json"));
        return installed.Exists && installed.LastWriteTimeUtc >= File.GetLastWriteTimeUtc(Path.Combine(directory, "package-lock.json"));
    }

    private static FileStream Lock(string path)
    {
        for (var deadline = DateTime.UtcNow.AddMinutes(10); ; Thread.Sleep(200))
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
            }
        }
    }
}
