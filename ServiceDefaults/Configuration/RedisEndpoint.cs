namespace AgentFleet.ServiceDefaults.Configuration;

/// <summary>The connection-string form Aspire writes for Redis: <c>host:port,password=...,ssl=false</c>.</summary>
public sealed record RedisEndpoint(string Host, int Port, string? Password, bool Ssl)
{
    public static RedisEndpoint Parse(string connectionString)
    {
        var parts = connectionString.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            throw new FormatException("The Redis connection string is empty.");
        }
        var (host, port) = SplitHostPort(parts[0]);
        string? password = null;
        var ssl = false;
        foreach (var option in parts.Skip(1))
        {
            var separator = option.IndexOf('=');
            if (separator <= 0)
            {
                continue;
            }
            var key = option[..separator].Trim().ToLowerInvariant();
            var value = option[(separator + 1)..].Trim();
            switch (key)
            {
                case "password":
                    password = value;
                    break;
                case "ssl":
                    ssl = bool.Parse(value);
                    break;
            }
        }
        return new RedisEndpoint(host, port, password, ssl);
    }

    private static (string Host, int Port) SplitHostPort(string hostPort)
    {
        var colon = hostPort.LastIndexOf(':');
        if (colon < 0)
        {
            return (hostPort, 6379);
        }
        var host = hostPort[..colon].Trim('[', ']');
        return (host, int.Parse(hostPort[(colon + 1)..]));
    }

    /// <summary>Never prints the password.</summary>
    public override string ToString() => $"{Host}:{Port}";
}
