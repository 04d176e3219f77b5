using AgentFleet.Grpc;
using AgentFleet.Grpc.Client;
using AgentFleet.Grpc.Server;

namespace AgentFleet.ZaiProxy.Contracts;

/// <summary>The zai_proxy.proto service: method paths, the server base, and the client. Clients include this file by path.</summary>
public static class ZaiProxyGrpc
{
    public const string ServiceName = "fleet.zaiproxy.v1.ZaiProxy";

    public static readonly Method<PoolStatusRequest, PoolStatus> GetPoolStatus = new(MethodType.Unary, ServiceName, "GetPoolStatus", PoolStatusRequest.Parser, PoolStatus.Parser);
    public static readonly Method<UsageQuery, UsageSummary> GetUsage = new(MethodType.Unary, ServiceName, "GetUsage", UsageQuery.Parser, UsageSummary.Parser);

    /// <summary>Every method answers UNIMPLEMENTED until the implementation overrides it.</summary>
    public abstract class ZaiProxyBase : IGrpcService<ZaiProxyBase>
    {
        static string IGrpcService<ZaiProxyBase>.ServiceName => ServiceName;

        public static void Bind(ServiceBinder<ZaiProxyBase> binder)
        {
            binder.AddUnary(GetPoolStatus, static (s, r, c) => s.GetPoolStatusAsync(r, c));
            binder.AddUnary(GetUsage, static (s, r, c) => s.GetUsageAsync(r, c));
        }

        public virtual Task<PoolStatus> GetPoolStatusAsync(PoolStatusRequest request, ServerCallContext context) => throw Unimplemented(GetPoolStatus);
        public virtual Task<UsageSummary> GetUsageAsync(UsageQuery request, ServerCallContext context) => throw Unimplemented(GetUsage);

        private static RpcException Unimplemented(IMethod method) => new(StatusCode.Unimplemented, $"{method.FullName} is not implemented yet.");
    }

    public sealed class ZaiProxyClient(CallInvoker invoker)
    {
        public Task<PoolStatus> GetPoolStatusAsync(PoolStatusRequest request, CallOptions options = default) => invoker.UnaryAsync(GetPoolStatus, request, options);
        public Task<UsageSummary> GetUsageAsync(UsageQuery request, CallOptions options = default) => invoker.UnaryAsync(GetUsage, request, options);
    }
}
