using Grpc.AspNetCore.Server;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFleet.ServiceDefaults.Grpc;

public static class GrpcServerExtensions
{
    /// <summary>
    /// The gRPC server, and <c>grpc.health.v1.Health</c> answering from the ASP.NET Core health checks (what
    /// <c>/ready</c> answers) for the whole server ("") and for each of <paramref name="serviceNames"/>; any other
    /// name is NOT_FOUND, as the health protocol says. Map it with <c>MapGrpcHealthChecksService()</c>.
    /// </summary>
    public static IGrpcServerBuilder AddGrpcServer(this IServiceCollection services, params string[] serviceNames)
    {
        // A call to a service this server does not have falls through to routing, which answers 404, which gRPC
        // clients read as UNIMPLEMENTED. Grpc.AspNetCore's own catch-all (POST /{service}/{method}, any content
        // type) would otherwise take JSON requests such as POST /v1/sessions sent with the wrong content type.
        var server = services.AddGrpc(options => options.IgnoreUnknownServices = true);
        services.AddGrpcHealthChecks(options =>
        {
            options.Services.Map("", _ => true);
            foreach (var name in serviceNames)
            {
                options.Services.Map(name, _ => true);
            }
        });
        return server;
    }
}
