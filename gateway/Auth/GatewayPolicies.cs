using AgentFleet.ServiceDefaults.Security;

namespace AgentFleet.Gateway.Auth;

/// <summary>The authorization policies a route can name. Roles are ordered: admin ⊃ operator ⊃ viewer.</summary>
public static class GatewayPolicies
{
    public const string Anonymous = "anonymous";
    public const string Default = "default";
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Admin = "admin";

    public static readonly string[] All = [Anonymous, Default, Viewer, Operator, Admin];

    public static IServiceCollection AddGatewayAuthorization(this IServiceCollection services) =>
        services.AddAuthorization(options =>
        {
            options.AddPolicy(Default, policy => policy.RequireAuthenticatedUser());
            options.AddPolicy(Viewer, policy => policy.RequireRole("viewer", "operator", "admin"));
            options.AddPolicy(Operator, policy => policy.RequireRole("operator", "admin"));
            options.AddPolicy(Admin, policy => policy.RequireRole("admin"));
        });
}
