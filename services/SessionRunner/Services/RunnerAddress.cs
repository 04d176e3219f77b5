namespace AgentFleet.SessionRunner.Services;

/// <summary>The gRPC address a runner announces to ManagementApi.</summary>
public static class RunnerAddress
{
    private static readonly string[] Wildcards = ["*", "+", "0.0.0.0", "[::]", "::"];

    /// <summary>
    /// The configured address; else the <c>grpc</c> endpoint's own URL when it names a host others can use (a
    /// wildcard binding says nothing about how this runner is reached); else null.
    /// </summary>
    public static string? Resolve(string? advertised, string? endpointUrl)
    {
        if (!string.IsNullOrWhiteSpace(advertised))
        {
            return advertised.TrimEnd('/');
        }
        if (string.IsNullOrWhiteSpace(endpointUrl))
        {
            return null;
        }
        var authority = endpointUrl.Split("://", 2) is [_, var rest] ? rest.Split('/')[0] : null;
        var host = authority is null ? null : authority.StartsWith('[') ? authority[..(authority.IndexOf(']') + 1)] : authority.Split(':')[0];
        return host is null || host.Length == 0 || Wildcards.Contains(host) ? null : endpointUrl.TrimEnd('/');
    }
}
