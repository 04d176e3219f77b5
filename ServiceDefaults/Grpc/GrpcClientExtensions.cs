using AgentFleet.ServiceDefaults.Security;
using Microsoft.Extensions.DependencyInjection;

namespace AgentFleet.ServiceDefaults.Grpc;

public static class GrpcClientExtensions
{
    /// <summary>How long a unary call that names no deadline of its own may take.</summary>
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A gRPC client of <paramref name="service"/>'s HTTP/2 endpoint named <c>grpc</c>, found through service discovery
    /// (<c>services__{service}__grpc__0</c>), each call signed as the service <paramref name="caller"/> and every unary
    /// call given a deadline.
    /// </summary>
    public static IHttpClientBuilder AddServiceGrpcClient<TClient>(this IServiceCollection services, string service, string caller) where TClient : class =>
        services.AddGrpcClient<TClient>(options => options.Address = new Uri($"http://_grpc.{service}"))
            .AddInterceptor(() => new DefaultDeadlineInterceptor(DefaultDeadline))
            .AddHttpMessageHandler(provider => new SignedIdentityHandler(provider.GetRequiredService<IdentitySigner>(), CallerIdentity.Service(caller)));
}
