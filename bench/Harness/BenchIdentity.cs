using AgentFleet.ServiceDefaults.Security;

namespace AgentFleet.Bench.Harness;

/// <summary>The identity secret the benchmarks give the services, and a handler that signs as the gateway would.</summary>
public static class BenchIdentity
{
    public const string Secret = "bench-identity-secret";

    public static readonly CallerIdentity Admin = new("admin", "admin", CallerRole.Admin);

    public static SignedIdentityHandler AdminHandler(int maxConnections = int.MaxValue) =>
        new(new IdentitySigner(Secret), Admin, new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = maxConnections });
}
