using System.Runtime.CompilerServices;
using AgentFleet.Grpc.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AgentFleet.Grpc.Server;

public static class GrpcEndpointExtensions
{
    private static readonly ConditionalWeakTable<IEndpointRouteBuilder, object> Mapped = [];

    /// <summary>The gRPC server's options and the standard health service (<c>grpc.health.v1.Health</c>).</summary>
    public static IServiceCollection AddGrpcServer(this IServiceCollection services, Action<GrpcServerOptions>? configure = null)
    {
        services.AddOptions<GrpcServerOptions>().Configure(options => configure?.Invoke(options));
        services.AddHealthChecks();
        services.AddSingleton<GrpcServiceRegistry>();
        services.AddScoped<HealthGrpc.HealthBase, HealthService>();
        return services;
    }

    /// <summary>
    /// Serves the contract <typeparamref name="TService"/> (its implementation comes from DI), plus, once per
    /// app, the health service and an UNIMPLEMENTED answer for any other gRPC method.
    /// </summary>
    public static IEndpointConventionBuilder MapGrpcService<TService>(this IEndpointRouteBuilder endpoints) where TService : class, IGrpcService<TService>
    {
        if (!Mapped.TryGetValue(endpoints, out _))
        {
            Mapped.Add(endpoints, new object());
            MapService<HealthGrpc.HealthBase>(endpoints);
            // Only gRPC content types are accepted, as metadata the matcher reads before it picks: a JSON endpoint
            // sent another content type then gets its 415 rather than this endpoint's 404.
            endpoints.MapPost("/{service}/{method}", UnimplementedAsync).WithMetadata(new AcceptsMetadata([GrpcProtocol.ContentType, GrpcProtocol.ContentType + "+proto"])).WithDisplayName("gRPC unimplemented").Add(b => ((RouteEndpointBuilder)b).Order = int.MaxValue);
        }
        return MapService<TService>(endpoints);
    }

    private static IEndpointConventionBuilder MapService<TService>(IEndpointRouteBuilder endpoints) where TService : class, IGrpcService<TService>
    {
        endpoints.ServiceProvider.GetRequiredService<GrpcServiceRegistry>().Add(TService.ServiceName);
        var binder = new ServiceBinder<TService>();
        TService.Bind(binder);
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<GrpcServerOptions>>().Value;
        var logger = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("AgentFleet.Grpc.Server");
        var routes = binder.Methods.Select(serverMethod => endpoints.MapPost(serverMethod.Method.FullName, context =>
        {
            var service = context.RequestServices.GetRequiredService<TService>();
            return new ServerCall(context, serverMethod.Method, options, logger).RunAsync(serverMethod.Invoke, service);
        }).WithDisplayName($"gRPC {serverMethod.Method.FullName}")).ToList();
        return new CompositeConventionBuilder(routes);
    }

    /// <summary>A gRPC request for a method nobody serves.</summary>
    private static Task UnimplementedAsync(HttpContext context)
    {
        context.Response.ContentType = GrpcProtocol.ContentType;
        context.Response.Headers[GrpcProtocol.StatusTrailer] = ((int)StatusCode.Unimplemented).ToString();
        context.Response.Headers[GrpcProtocol.MessageTrailer] = GrpcProtocol.EncodeMessage($"Method {context.Request.Path} is not implemented by this server.");
        return Task.CompletedTask;
    }

    private sealed class CompositeConventionBuilder(IReadOnlyList<IEndpointConventionBuilder> builders) : IEndpointConventionBuilder
    {
        public void Add(Action<EndpointBuilder> convention)
        {
            foreach (var builder in builders)
            {
                builder.Add(convention);
            }
        }
    }
}

/// <summary>The services this server serves, for the health service's answers about a named service.</summary>
public sealed class GrpcServiceRegistry
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    internal void Add(string name)
    {
        lock (_names)
        {
            _names.Add(name);
        }
    }

    public bool Contains(string name)
    {
        lock (_names)
        {
            return _names.Contains(name);
        }
    }
}
