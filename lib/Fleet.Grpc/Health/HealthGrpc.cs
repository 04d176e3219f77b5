using AgentFleet.Grpc.Server;
using Grpc.Health.V1;

namespace AgentFleet.Grpc.Health;

/// <summary>The contract of <c>grpc.health.v1.Health</c>: its methods, server base and client.</summary>
public static class HealthGrpc
{
    public const string ServiceName = "grpc.health.v1.Health";

    public static readonly Method<HealthCheckRequest, HealthCheckResponse> Check =
        new(MethodType.Unary, ServiceName, "Check", HealthCheckRequest.Parser, HealthCheckResponse.Parser);

    public static readonly Method<HealthCheckRequest, HealthCheckResponse> Watch =
        new(MethodType.ServerStreaming, ServiceName, "Watch", HealthCheckRequest.Parser, HealthCheckResponse.Parser);

    public abstract class HealthBase : IGrpcService<HealthBase>
    {
        static string IGrpcService<HealthBase>.ServiceName => ServiceName;

        public static void Bind(ServiceBinder<HealthBase> binder)
        {
            binder.AddUnary(Check, static (service, request, context) => service.CheckAsync(request, context));
            binder.AddServerStreaming(Watch, static (service, request, responses, context) => service.WatchAsync(request, responses, context));
        }

        public abstract Task<HealthCheckResponse> CheckAsync(HealthCheckRequest request, ServerCallContext context);

        public abstract Task WatchAsync(HealthCheckRequest request, IAsyncStreamWriter<HealthCheckResponse> responses, ServerCallContext context);
    }

    public sealed class HealthClient(Client.CallInvoker invoker)
    {
        public Task<HealthCheckResponse> CheckAsync(HealthCheckRequest request, Client.CallOptions options = default) =>
            invoker.UnaryAsync(HealthGrpc.Check, request, options);

        public Client.ServerStreamingCall<HealthCheckResponse> Watch(HealthCheckRequest request, Client.CallOptions options = default) =>
            invoker.ServerStreaming(HealthGrpc.Watch, request, options);
    }
}
