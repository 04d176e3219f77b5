namespace AgentFleet.AppHost.Supervision;

/// <summary>The pid of the process that serves a resource.</summary>
public static class ServingProcess
{
    /// <summary>
    /// DCP starts a project as <c>dotnet run --no-build</c>, which runs the service as its one child: that child is what
    /// answers requests and what an operator signals, so the project's pid is the child's. Other resources are the
    /// process DCP started.
    /// </summary>
    public static int? Of(IResource resource, CustomResourceSnapshot snapshot)
    {
        if (snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value?.ToString() is not { } text || !int.TryParse(text, out var pid))
        {
            return null;
        }
        if (resource is not ProjectResource)
        {
            return pid;
        }
        try
        {
            var children = File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return children.Length == 1 && int.TryParse(children[0], out var child) ? child : pid;
        }
        catch (IOException)
        {
            return pid;
        }
    }
}
