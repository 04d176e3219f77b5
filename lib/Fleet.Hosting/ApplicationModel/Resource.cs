namespace AgentFleet.Hosting.ApplicationModel;

/// <summary>A named part of the app model: a server, a database, a service, a parameter.</summary>
public abstract class Resource(string name)
{
    public string Name { get; } = name;

    /// <summary>Shown in the status table and the snapshot: <c>postgres</c>, <c>redis</c>, <c>project</c>, ...</summary>
    public abstract string Kind { get; }

    public List<Endpoint> Endpoints { get; } = [];

    /// <summary>Resources that must be healthy before this one starts.</summary>
    public List<Resource> WaitsFor { get; } = [];

    /// <summary>Each adds environment variables for this resource's process, once endpoints are allocated.</summary>
    public List<Action<IDictionary<string, string>>> EnvironmentCallbacks { get; } = [];

    public Endpoint GetEndpoint(string name) =>
        Endpoints.FirstOrDefault(e => e.Name == name)
        ?? throw new InvalidOperationException($"Resource '{Name}' has no endpoint named '{name}'.");

    public override string ToString() => Name;
}

/// <summary>A resource that other resources reach with a connection string (<c>ConnectionStrings__{Name}</c>).</summary>
public interface IResourceWithConnectionString
{
    string Name { get; }

    string GetConnectionString();
}

/// <summary>A network endpoint on loopback; the port is fixed or allocated when the app model is built.</summary>
public sealed class Endpoint(string name, string scheme, int? port, bool http2Only = false)
{
    public string Name { get; } = name;
    public string Scheme { get; } = scheme;
    public int? RequestedPort { get; } = port;
    public bool Http2Only { get; } = http2Only;
    public string Host => "127.0.0.1";
    public int Port { get; internal set; }

    public string Url => $"{Scheme}://{Host}:{Port}";
}
