namespace AgentFleet.Hosting.ApplicationModel;

/// <summary>How to start a resource's process and how it likes to be stopped.</summary>
public sealed record LaunchSpec(string FileName, IReadOnlyList<string> Arguments, string WorkingDirectory)
{
    public Dictionary<string, string> Environment { get; init; } = [];

    /// <summary>The signal that asks for a graceful stop (PostgreSQL's fast shutdown is SIGINT).</summary>
    public int StopSignal { get; init; } = Signals.SIGTERM;
}

/// <summary>A resource backed by a supervised process.</summary>
public abstract class ProcessResource(string name) : Resource(name)
{
    /// <summary>Runs before each start (create a data directory, say); returns what to run.</summary>
    public abstract Task<LaunchSpec> PrepareAsync(HostingContext context, CancellationToken cancellationToken);

    /// <summary>True when the process serves; polled while it runs.</summary>
    public Func<CancellationToken, Task<bool>>? HealthProbe { get; set; }

    /// <summary>
    /// Set when the server already runs elsewhere (<c>ConnectionStrings__{name}</c> in the AppHost's
    /// environment): nothing is started, the server is only probed, and this is what dependents receive.
    /// </summary>
    public string? ExternalConnectionString { get; private set; }

    public void UseExternal(string connectionString)
    {
        ExternalConnectionString = connectionString;
        Endpoints.Clear();
    }
}

/// <summary>A .NET project of the solution, started from its build output.</summary>
public sealed class ProjectResource(string name, IProjectMetadata project) : ProcessResource(name)
{
    public override string Kind => "project";

    public IProjectMetadata Project { get; } = project;

    public override Task<LaunchSpec> PrepareAsync(HostingContext context, CancellationToken cancellationToken)
    {
        if (!File.Exists(Project.AssemblyPath))
        {
            throw new FileNotFoundException($"{Project.AssemblyPath} is missing: build the solution first (dotnet build).");
        }
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = context.EnvironmentName,
            ["ASPNETCORE_ENVIRONMENT"] = context.EnvironmentName,
            ["ASPNETCORE_URLS"] = string.Empty,
            ["OTEL_SERVICE_NAME"] = Name,
        };
        foreach (var endpoint in Endpoints)
        {
            environment[$"Kestrel__Endpoints__{endpoint.Name}__Url"] = endpoint.Url;
            if (endpoint.Http2Only)
            {
                environment[$"Kestrel__Endpoints__{endpoint.Name}__Protocols"] = "Http2";
            }
        }
        // The project directory is the content root, as under `dotnet run`.
        var spec = new LaunchSpec(context.DotnetHost, [Project.AssemblyPath], Path.GetDirectoryName(Project.ProjectPath)!)
        {
            Environment = environment,
        };
        return Task.FromResult(spec);
    }
}

/// <summary>Any program with arguments.</summary>
public sealed class ExecutableResource(string name, string command, string workingDirectory, IReadOnlyList<string> arguments) : ProcessResource(name)
{
    public override string Kind => "executable";

    public override Task<LaunchSpec> PrepareAsync(HostingContext context, CancellationToken cancellationToken)
    {
        var environment = Endpoints.ToDictionary(e => $"{e.Name.ToUpperInvariant()}_PORT", e => e.Port.ToString());
        return Task.FromResult(new LaunchSpec(command, arguments, workingDirectory) { Environment = environment });
    }
}

/// <summary>What Aspire generates as <c>Projects.X</c>: where a referenced project and its build output are.</summary>
public interface IProjectMetadata
{
    string ProjectPath { get; }

    string AssemblyPath { get; }
}
