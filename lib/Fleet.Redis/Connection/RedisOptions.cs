using System.Globalization;

namespace AgentFleet.Redis.Connection;

/// <summary>
/// Where and how to connect, from the connection-string form Aspire writes:
/// <c>host:port,password=...,ssl=false,user=...,database=0,protocol=3,connectTimeout=5000,syncTimeout=5000</c>.
/// </summary>
public sealed record RedisOptions
{
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 6379;
    public string? User { get; init; }
    public string? Password { get; init; }
    public bool Ssl { get; init; }
    public int Database { get; init; }

    /// <summary>2 (the default) or 3, negotiated with HELLO.</summary>
    public int Protocol { get; init; } = 2;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a command waits for its reply before it fails with a <see cref="TimeoutException"/>.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a command issued while disconnected waits for the connection; zero fails at once.</summary>
    public TimeSpan ReconnectWait { get; init; } = TimeSpan.Zero;

    public TimeSpan ReconnectBaseDelay { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    public static RedisOptions Parse(string connectionString)
    {
        var parts = connectionString.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            throw new FormatException("The Redis connection string is empty.");
        }
        var options = new RedisOptions();
        var endpoint = parts[0];
        var colon = endpoint.LastIndexOf(':');
        options = colon < 0
            ? options with { Host = endpoint }
            : options with { Host = endpoint[..colon].Trim('[', ']'), Port = int.Parse(endpoint[(colon + 1)..], CultureInfo.InvariantCulture) };
        foreach (var part in parts.Skip(1))
        {
            var separator = part.IndexOf('=');
            if (separator <= 0)
            {
                throw new FormatException($"'{part}' in the Redis connection string is not key=value.");
            }
            var value = part[(separator + 1)..].Trim();
            options = part[..separator].Trim().ToLowerInvariant() switch
            {
                "password" => options with { Password = value },
                "user" => options with { User = value },
                "ssl" => options with { Ssl = bool.Parse(value) },
                "database" or "defaultdatabase" => options with { Database = int.Parse(value, CultureInfo.InvariantCulture) },
                "protocol" => options with { Protocol = value is "3" or "resp3" ? 3 : 2 },
                "connecttimeout" => options with { ConnectTimeout = TimeSpan.FromMilliseconds(int.Parse(value, CultureInfo.InvariantCulture)) },
                "synctimeout" or "asynctimeout" => options with { CommandTimeout = TimeSpan.FromMilliseconds(int.Parse(value, CultureInfo.InvariantCulture)) },
                // Options of other clients that have no meaning here are accepted and ignored.
                _ => options,
            };
        }
        return options;
    }

    /// <summary>Never shows the password.</summary>
    public override string ToString() => $"{Host}:{Port}/{Database}";
}
